/**
 * User class (77). RFC 3004 section 4 defines it as a list of length-prefixed class names;
 * iPXE (and some other clients) send a plain string such as "iPXE" instead. The decoder keeps
 * whichever form arrived so re-encoding is exact: an RFC 3004 list is recognised only when the
 * length prefixes tile the option exactly.
 */
import { latin1, latin1Bytes, type OptionCodec } from './option-codec.ts';

export type UserClass = { format: 'rfc3004'; classes: string[] } | { format: 'plain'; text: string };

function asRfc3004(d: Uint8Array): string[] | undefined {
  const classes: string[] = [];
  let i = 0;
  while (i < d.length) {
    const len = d[i];
    if (len === 0 || i + 1 + len > d.length) return undefined;
    classes.push(latin1(d.subarray(i + 1, i + 1 + len)));
    i += 1 + len;
  }
  return classes.length > 0 ? classes : undefined;
}

export const userClass: OptionCodec<UserClass> = {
  code: 77,
  name: 'user class',
  decode(d) {
    const classes = asRfc3004(d);
    return classes ? { format: 'rfc3004', classes } : { format: 'plain', text: latin1(d) };
  },
  encode(v) {
    if (v.format === 'plain') return latin1Bytes(v.text);
    const parts = v.classes.map((c) => latin1Bytes(c).subarray(0, 255));
    return Uint8Array.from(parts.flatMap((p) => [p.length, ...p]));
  },
};

/** Every class name the option carries, whichever format. */
export function userClassNames(v: UserClass | undefined): string[] {
  if (!v) return [];
  return v.format === 'plain' ? [v.text] : v.classes;
}
