/**
 * iPXE encapsulated options (175): iPXE puts its feature flags here (e.g. 19 HTTP, 24 EFI,
 * 17 bus id), so its presence alone says "this is iPXE". Kept as ordered sub-options.
 */
import { OptionError, joinSubOptions, splitSubOptions, type OptionCodec, type SubOption } from './option-codec.ts';

export interface IpxeOptions {
  subOptions: SubOption[];
  /** Whether an END (255) closed the list on the wire. */
  ended: boolean;
}

export const ipxeOptions: OptionCodec<IpxeOptions> = {
  code: 175,
  name: 'iPXE encapsulated options',
  decode(d) {
    const split = splitSubOptions(d);
    return split instanceof OptionError ? split : { subOptions: split.items, ended: split.ended };
  },
  encode: (v) => joinSubOptions(v.subOptions, v.ended),
};
