import { useEffect, useRef, useState } from 'react';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import type { ConsoleServerMessage } from '../../../../../core/contract/console.ts';
import { openConsoleSocket, type ConsoleSocket } from '../console-socket.ts';
import { BootLogs } from './boot-logs.tsx';
import { ConsoleHolder } from './console-holder.tsx';

type Banner = { kind: 'held' | 'ended' | 'error'; text: string } | null;

/** Machine detail → Console: the machine's serial console in a real terminal emulator. */
export function ConsolePanel({ machine }: { machine: string }) {
  const [open, setOpen] = useState(false);
  const [takeOver, setTakeOver] = useState(false);
  const [attempt, setAttempt] = useState(0);
  return (
    <section aria-labelledby="console-h">
      <h3 id="console-h">Console</h3>
      {open ? (
        <ConsoleTerminal key={attempt} machine={machine} takeOver={takeOver} onRetry={(take) => { setTakeOver(take); setAttempt(attempt + 1); }} onClose={() => setOpen(false)} />
      ) : (
        <button type="button" onClick={() => { setTakeOver(false); setOpen(true); }}>Open console</button>
      )}
      <ConsoleHolder machine={machine} />
      <h4>Boot console logs</h4>
      <BootLogs machine={machine} />
    </section>
  );
}

function bannerFor(m: ConsoleServerMessage): Banner {
  if (m.type === 'error') return { kind: m.code === 'DF_ERR_CONFLICT' ? 'held' : 'error', text: m.message };
  if (m.type === 'ended' && m.reason !== 'closed') return { kind: 'ended', text: m.message };
  return null;
}

interface TerminalProps {
  machine: string;
  takeOver: boolean;
  onRetry(takeOver: boolean): void;
  onClose(): void;
}

function ConsoleTerminal({ machine, takeOver, onRetry, onClose }: TerminalProps) {
  const host = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const socket = useRef<ConsoleSocket | null>(null);
  const [state, setState] = useState<'connecting' | 'attached' | 'closed'>('connecting');
  const [banner, setBanner] = useState<Banner>(null);

  useEffect(() => {
    const t = new Terminal({ convertEol: false, cursorBlink: true, rows: 24, cols: 80, scrollback: 5000 });
    t.open(host.current!);
    term.current = t;
    const s = openConsoleSocket(machine, takeOver, {
      onData: (bytes) => t.write(bytes),
      onMessage: (m) => {
        if (m.type === 'attached') setState('attached');
        const b = bannerFor(m);
        if (b) setBanner(b);
      },
      onClose: () => setState('closed'),
    });
    socket.current = s;
    const input = t.onData((data) => s.send(data));
    t.focus();
    return () => {
      input.dispose();
      s.close();
      t.dispose();
    };
  }, [machine, takeOver]);

  const copy = () => {
    void navigator.clipboard?.writeText(term.current?.getSelection() ?? '');
    term.current?.focus();
  };
  const paste = async () => {
    const text = await navigator.clipboard?.readText().catch(() => '');
    if (text) term.current?.paste(text);
    term.current?.focus(); // typing goes on in the console, not on the button
  };

  return (
    <div className="console">
      {banner && (
        <div className="banner banner-warning console-banner" role="alert">
          {banner.text}
          {banner.kind === 'held' && <button type="button" onClick={() => onRetry(true)}>Take over</button>}
          {banner.kind !== 'held' && <button type="button" onClick={() => onRetry(false)}>Reconnect</button>}
        </div>
      )}
      <div className="console-toolbar">
        <span className="small muted" aria-live="polite">{state === 'attached' ? 'Connected' : state === 'connecting' ? 'Connecting…' : 'Disconnected'}</span>
        <button type="button" onClick={copy} title="Copy the selected text">Copy</button>
        <button type="button" onClick={() => void paste()} title="Paste into the console">Paste</button>
        <button type="button" onClick={() => socket.current?.sendBreak()} title="Send a serial break">Send break</button>
        <button type="button" onClick={onClose}>Close console</button>
      </div>
      <div className="console-screen" ref={host} data-testid="console-screen" />
    </div>
  );
}
