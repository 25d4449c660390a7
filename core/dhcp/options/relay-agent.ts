/**
 * Relay agent information (82, RFC 3046 section 2.0): sub-option 1 circuit ID, 2 remote ID,
 * others preserved. A server copies it unchanged into its reply (RFC 3046 section 2.2).
 */
import { OptionError, joinSubOptions, splitSubOptions, type OptionCodec, type SubOption } from './option-codec.ts';

export interface RelayAgentInfo {
  subOptions: SubOption[];
}

export const relayAgentInfo: OptionCodec<RelayAgentInfo> = {
  code: 82,
  name: 'relay agent information',
  decode(d) {
    const split = splitSubOptions(d);
    if (split instanceof OptionError) return split;
    if (split.ended) return new OptionError('sub-option END not allowed');
    return { subOptions: split.items };
  },
  encode: (v) => joinSubOptions(v.subOptions, false),
};

export const circuitId = (v: RelayAgentInfo) => v.subOptions.find((s) => s.code === 1)?.data;
export const remoteId = (v: RelayAgentInfo) => v.subOptions.find((s) => s.code === 2)?.data;
