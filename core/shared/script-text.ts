/**
 * Text from a stored object (a display name, a label) made safe to write into a generated
 * script line: iPXE, GRUB or a shell comment. Anything but printable ASCII becomes "?", so a
 * newline cannot start a new (executable) line; "$" becomes "?" too, since iPXE and GRUB
 * expand ${...} even where a human would not expect it. Cut to `max` characters.
 */
export function scriptSafeText(text: string, max = 100): string {
  const safe = text.replace(/[^\x20-\x7e]|\$/g, '?');
  return safe.length > max ? `${safe.slice(0, max)}...` : safe;
}
