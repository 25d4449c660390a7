import { describe, expect, it } from 'vitest';
import { BOOTREPLY, BOOTREQUEST, BROADCAST_FLAG, emptyPacket, type DhcpPacket } from './codec.ts';
import { MessageType } from './options/message.ts';
import { isForUs, replyDestination, requestState } from './rfc2131.ts';

const req = (over: Partial<DhcpPacket>): DhcpPacket => ({ ...emptyPacket(BOOTREQUEST), ...over });
const reply = (type: number, yiaddr = '10.0.0.50'): DhcpPacket => ({ ...emptyPacket(BOOTREPLY), yiaddr, options: { messageType: type } });

describe('replyDestination (RFC 2131 4.1)', () => {
  it('answers a relayed request to the relay on port 67, even a NAK', () => {
    expect(replyDestination(req({ giaddr: '10.1.0.1' }), reply(MessageType.NAK))).toEqual({ kind: 'relay', address: '10.1.0.1', port: 67 });
  });
  it('broadcasts a NAK without relay even to a client with ciaddr', () => {
    expect(replyDestination(req({ ciaddr: '10.0.0.9' }), reply(MessageType.NAK)).kind).toBe('broadcast');
  });
  it('unicasts to ciaddr when the client has its address', () => {
    expect(replyDestination(req({ ciaddr: '10.0.0.9' }), reply(MessageType.ACK))).toEqual({ kind: 'unicast', address: '10.0.0.9', port: 68 });
  });
  it('broadcasts when the client set the broadcast flag', () => {
    expect(replyDestination(req({ flags: BROADCAST_FLAG }), reply(MessageType.OFFER)).kind).toBe('broadcast');
  });
  it('asks for hardware unicast to yiaddr otherwise', () => {
    expect(replyDestination(req({}), reply(MessageType.OFFER))).toEqual({ kind: 'hardware-unicast', address: '10.0.0.50', port: 68 });
  });
});

describe('isForUs and requestState (RFC 2131 4.3.2)', () => {
  it('ignores a REQUEST that names another server', () => {
    expect(isForUs(req({ options: { messageType: 3, serverId: '10.0.0.2' } }), '10.0.0.1')).toBe(false);
    expect(isForUs(req({ options: { messageType: 3, serverId: '10.0.0.1' } }), '10.0.0.1')).toBe(true);
    expect(isForUs(req({ options: { messageType: 3 } }), '10.0.0.1')).toBe(true);
  });
  it('tells SELECTING, INIT-REBOOT and RENEWING apart', () => {
    expect(requestState(req({ options: { serverId: '10.0.0.1', requestedIp: '10.0.0.5' } }))).toBe('selecting');
    expect(requestState(req({ options: { requestedIp: '10.0.0.5' } }))).toBe('init-reboot');
    expect(requestState(req({ ciaddr: '10.0.0.5' }))).toBe('renewing');
    expect(requestState(req({}))).toBe('invalid');
    expect(requestState(req({ ciaddr: '10.0.0.5', options: { serverId: '10.0.0.1', requestedIp: '10.0.0.5' } }))).toBe('invalid');
  });
});
