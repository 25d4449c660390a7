import { describe, expect, it } from 'vitest';
import { BOOTREQUEST, emptyPacket } from './codec.ts';
import { MessageType } from './options/message.ts';
import { handleProxyDiscover } from './proxy-mode.ts';

const ctx = { serverIp: '10.0.0.1', menuLabel: 'Dragonfly', bootPolicy: () => ({ bootfile: 'ipxe.efi' }) };

function pxeRequest(requestedIp?: string) {
  const p = emptyPacket(BOOTREQUEST);
  p.chaddr.set([0x52, 0x54, 0, 0xaa, 0xbb, 0xcc]);
  p.options = { messageType: MessageType.REQUEST, vendorClass: 'PXEClient:Arch:00007:UNDI:003016', clientArch: [7], ...(requestedIp ? { requestedIp } : {}) };
  return p;
}

describe('proxyDHCP on port 67', () => {
  it("a PXE client's REQUEST to the site server is not answered, but its address is reported for the timeline", async () => {
    const r = await handleProxyDiscover(pxeRequest('10.0.0.57'), ctx);
    expect(r.reply).toBeUndefined();
    expect(r.events).toEqual([{ type: 'request', mode: 'proxy', mac: '52:54:00:aa:bb:cc', arch: 'uefi-x64', ip: '10.0.0.57' }]);
  });

  it('a REQUEST that names no address reports nothing', async () => {
    const r = await handleProxyDiscover(pxeRequest(), ctx);
    expect(r.reply).toBeUndefined();
    expect(r.events).toEqual([]);
  });
});
