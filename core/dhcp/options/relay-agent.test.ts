import { describe, expect, it } from 'vitest';
import { OptionError } from './option-codec.ts';
import { circuitId, relayAgentInfo, remoteId, type RelayAgentInfo } from './relay-agent.ts';

describe('relay agent information (RFC 3046)', () => {
  const bytes = Uint8Array.of(1, 3, 0x65, 0x74, 0x31, 2, 2, 0xaa, 0xbb);
  it('decodes circuit id and remote id', () => {
    const v = relayAgentInfo.decode(bytes) as RelayAgentInfo;
    expect(Array.from(circuitId(v)!)).toEqual([0x65, 0x74, 0x31]);
    expect(Array.from(remoteId(v)!)).toEqual([0xaa, 0xbb]);
  });
  it('re-encodes unchanged so the reply can echo it', () => {
    expect(Array.from(relayAgentInfo.encode(relayAgentInfo.decode(bytes) as RelayAgentInfo))).toEqual(Array.from(bytes));
  });
  it('reports a sub-option running past the option', () => {
    expect((relayAgentInfo.decode(Uint8Array.of(1, 5, 0)) as OptionError).detail).toBe('sub-option 1 length 5, only 1 left');
  });
});
