import { describe, expect, it } from 'vitest';
import { BOOTREQUEST, emptyPacket } from './codec.ts';
import { MessageType } from './options/message.ts';
import { handleProxyDiscover, handleProxyRequest } from './proxy-mode.ts';

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

describe('proxyDHCP for UEFI HTTP boot (UEFI 2.5 section 24.7)', () => {
  const url = 'http://10.0.0.1:8080/boot/files/snponly.efi';
  const httpCtx = { ...ctx, bootPolicy: () => ({ bootfile: url, vendorClass: 'HTTPClient' as const }) };
  function httpDiscover() {
    const p = emptyPacket(BOOTREQUEST);
    p.chaddr.set([0x52, 0x54, 0, 0xaa, 0xbb, 0xcd]);
    p.options = { messageType: MessageType.DISCOVER, vendorClass: 'HTTPClient:Arch:00016:UNDI:003001', clientArch: [16] };
    return p;
  }

  it('offers no address, the URL in option 67, vendor class HTTPClient and no PXE options', async () => {
    const offer = (await handleProxyDiscover(httpDiscover(), httpCtx)).reply!;
    expect(offer.options.messageType).toBe(MessageType.OFFER);
    expect(offer.yiaddr).toBe('0.0.0.0');
    expect(offer.options.bootfileName).toBe(url);
    expect(offer.options.vendorClass).toBe('HTTPClient');
    // Option 43 with PXE sub-options is for PXE ROMs; an HTTP client has no use for it.
    expect(offer.options.vendorSpecific).toBeUndefined();
  });

  it('also echoes HTTPClient when the policy names no vendor class', async () => {
    const offer = (await handleProxyDiscover(httpDiscover(), { ...ctx, bootPolicy: () => ({ bootfile: url }) })).reply!;
    expect(offer.options.vendorClass).toBe('HTTPClient');
  });

  it('answers an HTTP client asking on port 4011 with the same URL', async () => {
    const req = httpDiscover();
    req.options.messageType = MessageType.REQUEST;
    req.ciaddr = '10.0.0.57';
    const ack = (await handleProxyRequest(req, httpCtx)).reply!;
    expect(ack.options).toMatchObject({ messageType: MessageType.ACK, bootfileName: url, vendorClass: 'HTTPClient' });
  });
});
