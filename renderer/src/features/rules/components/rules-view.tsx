import { useState } from 'react';
import type { Rule } from '../../../../../core/model/rule.ts';
import { useAppStore } from '../../../app/store.ts';
import { api, describeError } from '../../../shared/api-client.ts';
import { FormMessage } from '../../../shared/ui/form-message.tsx';
import { inRunOrder, priorityOf, ruleSummary, ruleToYaml, starterRule } from '../rule-document.ts';

/** The zero-touch rules in the order they run, with a YAML editor for one of them. */
export function RulesView() {
  const byName = useAppStore((s) => s.rules.byName);
  const loaded = useAppStore((s) => s.rules.loaded);
  const editing = useAppStore((s) => s.editingRule);
  const edit = useAppStore((s) => s.editRule);
  const rules = inRunOrder([...byName.values()]);
  return (
    <div className="rules-view">
      <section className="rules-list" aria-labelledby="rules-h">
        <header className="editor-head">
          <h2 id="rules-h">Rules</h2>
          <span className="muted small">Tried top to bottom when a machine registers; the first match wins. Ready and provisioning machines are never touched.</span>
        </header>
        <div className="button-row">
          <button type="button" className="primary" onClick={() => edit(null)}>
            New rule
          </button>
        </div>
        {!loaded ? <p className="empty">Loading rules…</p> : rules.length === 0 ? <p className="empty">No rules: every machine waits for an assignment by hand.</p> : <RuleTable rules={rules} onEdit={edit} />}
      </section>
      <RuleEditor key={editing ?? '(new)'} name={editing} />
    </div>
  );
}

function RuleTable({ rules, onEdit }: { rules: Rule[]; onEdit: (name: string) => void }) {
  return (
    <table className="data-table" aria-label="Rules in order">
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Rule</th>
          <th scope="col">Priority</th>
          <th scope="col">Matches</th>
          <th scope="col">Expects</th>
          <th scope="col">Then</th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {rules.map((r, i) => (
          <RuleRow key={r.metadata.name} rule={r} position={i + 1} onEdit={onEdit} />
        ))}
      </tbody>
    </table>
  );
}

function RuleRow({ rule, position, onEdit }: { rule: Rule; position: number; onEdit: (name: string) => void }) {
  const name = rule.metadata.name;
  const s = ruleSummary(rule.spec);
  const [error, setError] = useState<string | null>(null);
  const remove = async () => {
    try {
      await api('DELETE', `/api/v1/rules/${name}`);
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <tr className="rule-row" data-rule={name}>
      <td>{position}</td>
      <td className="mono">{name}</td>
      <td>{priorityOf(rule)}</td>
      <td>{s.match}</td>
      <td>{s.expect}</td>
      <td>
        {s.action}
        {error && <FormMessage message={{ ok: false, text: error }} />}
      </td>
      <td className="button-row">
        <button type="button" onClick={() => onEdit(name)} aria-label={`Edit rule ${name}`}>
          Edit
        </button>
        <button type="button" onClick={() => void remove()} aria-label={`Delete rule ${name}`}>
          Delete
        </button>
      </td>
    </tr>
  );
}

function RuleEditor({ name }: { name: string | null }) {
  const rule = useAppStore((s) => (name ? s.rules.byName.get(name) : undefined));
  const [text, setText] = useState(() => (rule ? ruleToYaml(rule) : starterRule));
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const apply = async () => {
    setBusy(true);
    setMessage(null);
    try {
      // JSON is YAML too: one content type for both.
      const r = await api<{ results: Array<{ kind: string; name: string; action: string }> }>('POST', '/api/v1/apply', undefined, { raw: text, contentType: 'application/yaml' });
      setMessage({ ok: true, text: `Applied: ${r.results.map((x) => `${x.kind} ${x.name} ${x.action}`).join(', ') || 'nothing to do'}.` });
    } catch (e) {
      setMessage({ ok: false, text: `Not applied. ${describeError(e)}` });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="template-editor" aria-labelledby="rule-editor-h">
      <header className="editor-head">
        <h2 id="rule-editor-h">{name ? `Rule ${name}` : 'New rule'}</h2>
        <span className="muted small">YAML; match, expect and action are all optional.</span>
      </header>
      <label htmlFor="rule-text" className="visually-hidden">
        Rule document
      </label>
      <textarea id="rule-text" className="code-editor" spellCheck={false} value={text} onChange={(e) => setText(e.target.value)} />
      <div className="button-row">
        <button type="button" className="primary" disabled={busy || !text.trim()} onClick={() => void apply()}>
          {busy ? 'Applying…' : 'Apply rule'}
        </button>
      </div>
      <div aria-live="polite">
        <FormMessage message={message} />
      </div>
    </section>
  );
}
