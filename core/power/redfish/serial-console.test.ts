/**
 * A Redfish BMC's serial console: found in its manager's SerialConsole (the DMTF
 * public-rackmount1 mockup says Telnet, SSH, IPMI) and opened as IPMI SOL against the real
 * OpenIPMI ipmi_sim on loopback, whose serial port is a tiny shell; other offers are named.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BmcRef } from '../../model/hardware.ts';
import { describeWithPeers } from '../../testing/peers.ts';
import { openConsole } from '../console.ts';
import { startIpmiSim, type IpmiSim } from '../ipmi/testing/ipmi-sim-harness.ts';
import { startSerialPort, type SerialPort } from '../ipmi/testing/serial-port-harness.ts';
import { RedfishHttp } from './redfish-http.ts';
import { serialConsoleOffer } from './serial-console.ts';
import { startRedfishTestServer, type RedfishTestServer } from './testing/test-server.ts';

const MANAGER = '/redfish/v1/Managers/BMC';
const credential = { username: 'admin', secret: 'secret' };

describeWithPeers(['ipmi_sim'], 'the serial console of a Redfish BMC', () => {
  let redfish: RedfishTestServer;
  let serial: SerialPort;
  let sim: IpmiSim;

  beforeAll(async () => {
    redfish = await startRedfishTestServer();
    serial = await startSerialPort();
    sim = await startIpmiSim({ sol: serial.device });
  });
  afterAll(async () => {
    await sim?.stop();
    await serial?.stop();
    redfish?.close();
  });

  const bmc = (): BmcRef => ({ protocol: 'redfish', address: redfish.url, credentialRef: 'bmc', options: { ipmiPort: String(sim.endpoints[0].port) } });
  const setOffer = (sc: Record<string, unknown>) => {
    redfish.resources.get(MANAGER)!.SerialConsole = sc;
  };

  it('reads the offer of the manager that manages the system', async () => {
    const http = new RedfishHttp({ baseUrl: redfish.url, username: 'admin', password: 'secret' });
    try {
      expect(await serialConsoleOffer(http, '/redfish/v1/Systems/437XR1138R2')).toEqual({ manager: MANAGER, enabled: true, connectTypes: ['Telnet', 'SSH', 'IPMI'], maxSessions: 1 });
    } finally {
      await http.close();
    }
  });

  it('opens it over IPMI SOL when the manager offers IPMI: a typed command is answered', async () => {
    setOffer({ ServiceEnabled: true, MaxConcurrentSessions: 1, ConnectTypesSupported: ['Telnet', 'SSH', 'IPMI'] });
    let out = '';
    const c = await openConsole(bmc(), credential, { onData: (b) => (out += Buffer.from(b).toString('latin1')), onEnd: () => {} }, false);
    try {
      await serial.connected();
      c.write(new TextEncoder().encode('echo over redfish\r'));
      const end = Date.now() + 20_000;
      while (!out.includes('over redfish\r\n$ ') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain('over redfish\r\n$ ');
    } finally {
      await c.close();
    }
  });

  it('names what the BMC offers when it is not IPMI, and says when the service is off', async () => {
    setOffer({ ServiceEnabled: true, ConnectTypesSupported: ['SSH'] });
    await expect(openConsole(bmc(), credential, { onData: () => {}, onEnd: () => {} }, false)).rejects.toThrow(
      `BMC ${redfish.url} offers its serial console over SSH; Dragonfly opens consoles over IPMI Serial-over-LAN`,
    );
    setOffer({ ServiceEnabled: false, ConnectTypesSupported: ['IPMI'] });
    await expect(openConsole(bmc(), credential, { onData: () => {}, onEnd: () => {} }, false)).rejects.toThrow(/serial console service turned off/);
  });

  it('a wrong password is the BMC refusing it, not a console', async () => {
    await expect(openConsole(bmc(), { username: 'admin', secret: 'wrong' }, { onData: () => {}, onEnd: () => {} }, false)).rejects.toThrow(/401|unauthori[sz]ed|credential/i);
  });
});
