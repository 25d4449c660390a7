import { useState } from 'react';
import { useAppStore } from '../../../app/store.ts';
import { api, ApiError, describeError } from '../../../shared/api-client.ts';
import { contentTypeFor, problemsFrom, splitProblem, starterTemplate, templateToYaml, type ApplyResult } from '../template-document.ts';

type Outcome = { kind: 'ok'; results: ApplyResult[] } | { kind: 'error'; message: string; problems: string[] } | null;

export function TemplatesView() {
  const names = useAppStore((s) => s.templates.names);
  const editing = useAppStore((s) => s.editingTemplate);
  const edit = useAppStore((s) => s.editTemplate);
  return (
    <div className="templates-view">
      <nav className="template-library" aria-label="Template library">
        <button type="button" className="primary block-button" onClick={() => edit(null)}>
          New template
        </button>
        <ul>
          {names.map((n) => (
            <li key={n}>
              <button type="button" className={`library-item${editing === n ? ' is-current' : ''}`} aria-current={editing === n ? 'true' : undefined} onClick={() => edit(n)}>
                {n}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <TemplateEditor key={editing ?? '(new)'} name={editing} />
    </div>
  );
}

function TemplateEditor({ name }: { name: string | null }) {
  const tpl = useAppStore((s) => (name ? s.templates.byName.get(name) : undefined));
  const [text, setText] = useState(() => (tpl ? templateToYaml(tpl) : starterTemplate));
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);
  const apply = async () => {
    setBusy(true);
    setOutcome(null);
    try {
      const r = await api<{ results: ApplyResult[] }>('POST', '/api/v1/apply', undefined, { raw: text, contentType: contentTypeFor(text) });
      setOutcome({ kind: 'ok', results: r.results ?? [] });
    } catch (e) {
      const problems = e instanceof ApiError ? problemsFrom(e.message, e.problems) : [];
      setOutcome({ kind: 'error', message: describeError(e), problems });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="template-editor" aria-labelledby="editor-h">
      <header className="editor-head">
        <h2 id="editor-h">{name ? `Template ${name}` : 'New template'}</h2>
        <span className="muted small">YAML or JSON; several documents separated by --- are applied together.</span>
      </header>
      <label htmlFor="template-text" className="visually-hidden">
        Template document
      </label>
      <textarea
        id="template-text"
        className="code-editor"
        spellCheck={false}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') void apply();
        }}
        aria-describedby="apply-outcome"
      />
      <div className="button-row">
        <button type="button" className="primary" disabled={busy || !text.trim()} onClick={() => void apply()}>
          {busy ? 'Applying…' : 'Apply (Ctrl+Enter)'}
        </button>
        {tpl && (
          <button type="button" onClick={() => setText(templateToYaml(tpl))}>
            Revert to saved
          </button>
        )}
      </div>
      <div id="apply-outcome" aria-live="polite">
        {outcome?.kind === 'ok' && (
          <p className="text-ok" role="status">
            Applied: {outcome.results.map((r) => `${r.kind} ${r.name} ${r.action}`).join(', ') || 'nothing to do'}.
          </p>
        )}
        {outcome?.kind === 'error' && <ValidationErrors message={outcome.message} problems={outcome.problems} />}
      </div>
    </section>
  );
}

function ValidationErrors({ message, problems }: { message: string; problems: string[] }) {
  return (
    <div className="validation" role="alert">
      <p>
        <strong>Not applied.</strong> {problems.length ? `${problems.length} problem${problems.length === 1 ? '' : 's'} found:` : message}
      </p>
      {problems.length > 0 && (
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Problem</th>
            </tr>
          </thead>
          <tbody>
            {problems.map((p, i) => {
              const { field, message: m } = splitProblem(p);
              return (
                <tr key={i}>
                  <td className="mono">{field || '—'}</td>
                  <td>{m}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
