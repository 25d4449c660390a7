/**
 * The escape sequences of `dragonfly console` (as in ssh and ipmitool): at the start of a
 * line, `~.` leaves, `~B` sends a serial break, `~~` types one `~`; any other character after
 * `~` goes through with the `~`. Pure: bytes in, bytes to forward and actions out.
 */
export type EscapeAction = 'quit' | 'break';

export interface EscapeResult {
  forward: Uint8Array;
  actions: EscapeAction[];
}

const TILDE = 0x7e;
const isNewline = (b: number) => b === 0x0d || b === 0x0a;

export class EscapeScanner {
  private atLineStart = true;
  private sawTilde = false;

  feed(input: Uint8Array): EscapeResult {
    const out: number[] = [];
    const actions: EscapeAction[] = [];
    for (const b of input) {
      if (this.sawTilde) {
        this.sawTilde = false;
        if (b === 0x2e) {
          actions.push('quit');
          break; // nothing typed after leaving goes to the machine
        }
        if (b === 0x42) actions.push('break');
        else if (b === TILDE) out.push(TILDE);
        else out.push(TILDE, b);
        this.atLineStart = isNewline(b);
        continue;
      }
      if (this.atLineStart && b === TILDE) {
        this.sawTilde = true;
        continue;
      }
      out.push(b);
      this.atLineStart = isNewline(b);
    }
    return { forward: Uint8Array.from(out), actions };
  }
}
