import { describe, expect, it } from 'vitest';
import { scriptSafeText } from './script-text.ts';

describe('scriptSafeText', () => {
  it('turns line breaks, control characters and ${ } into ? so nothing can start a new script line', () => {
    expect(scriptSafeText('Amber Falcon Orbit')).toBe('Amber Falcon Orbit');
    expect(scriptSafeText('x\nshell\r\n#!ipxe\u2028y')).toBe('x?shell??#!ipxe?y');
    expect(scriptSafeText('${net0/mac}')).toBe('?{net0/mac}');
  });

  it('cuts long text', () => {
    expect(scriptSafeText('a'.repeat(500), 10)).toBe('aaaaaaaaaa...');
  });
});
