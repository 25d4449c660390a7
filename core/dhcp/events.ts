/** What the server tells the control plane ("DHCP happened" per MAC) and what handlers return. */
import type { ClientArch } from './classify.ts';
import type { DhcpPacket } from './codec.ts';
import type { AnsweringDhcpMode } from '../shared/dhcp-mode.ts';

export type DhcpEventType = 'discover' | 'offer' | 'request' | 'ack' | 'nak' | 'release' | 'decline' | 'inform' | 'dropped';

export interface DhcpEvent {
  type: DhcpEventType;
  mode: AnsweringDhcpMode;
  mac: string;
  /** The address offered/acked/released/declined, when there is one. */
  ip?: string;
  arch?: ClientArch;
  /** Boot file handed out, when there was one. */
  bootfile?: string;
  /** The client is iPXE (user class 77): a loaded iPXE asking, not the firmware. */
  ipxe?: boolean;
  /** Why a packet was dropped or NAKed. */
  reason?: string;
}

export interface HandlerResult {
  reply?: DhcpPacket;
  events: DhcpEvent[];
  /** Set when nothing is sent back; counted and logged at debug. */
  drop?: string;
}
