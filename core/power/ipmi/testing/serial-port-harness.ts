/**
 * Test and bench support: the serial port behind ipmi_sim's SOL, as a TCP server on loopback
 * that behaves like a tiny shell on a serial console: it echoes what is typed, and on Enter
 * answers `echo WORDS` with WORDS, anything else with "sh: NAME: not found", then "$ ".
 * It records every byte it received, so a test can check what reached the "machine".
 */
import net from 'node:net';

export interface SerialPort {
  port: number;
  /** `tcp:127.0.0.1:PORT`, the lan.conf `sol` device. */
  device: string;
  /** Everything received from the BMC so far (what the user typed). */
  received(): string;
  /** Writes to the console as if the machine printed it (boot messages). */
  print(text: string): void;
  /** Resolves when ipmi_sim has connected (it connects when SOL is first activated). */
  connected(): Promise<void>;
  stop(): Promise<void>;
}

function answer(line: string): string {
  const [cmd, ...args] = line.trim().split(/\s+/);
  if (!cmd) return '';
  if (cmd === 'echo') return `${args.join(' ')}\r\n`;
  return `sh: ${cmd}: not found\r\n`;
}

export async function startSerialPort(prompt = '$ '): Promise<SerialPort> {
  let received = '';
  let socket: net.Socket | undefined;
  let onConnect: (() => void) | undefined;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    socket = s;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let line = '';
    s.on('data', (d) => {
      for (const ch of d.toString('latin1')) {
        received += ch;
        if (ch === '\r' || ch === '\n') {
          s.write(`\r\n${answer(line)}${prompt}`);
          line = '';
        } else if (ch === '\x7f' || ch === '\b') {
          line = line.slice(0, -1);
          s.write('\b \b');
        } else {
          line += ch;
          s.write(ch); // the terminal's echo
        }
      }
    });
    onConnect?.();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    device: `tcp:127.0.0.1:${port}`,
    received: () => received,
    print: (text) => socket?.write(text),
    connected: () => (socket ? Promise.resolve() : new Promise<void>((resolve) => (onConnect = resolve))),
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
