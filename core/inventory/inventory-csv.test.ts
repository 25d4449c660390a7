import { describe, expect, it } from 'vitest';
import { parseInventoryCsv } from './inventory-csv.ts';

const header = 'MAC,BMC address,BMC username,BMC password,credential_ref,rack,position,labels,name';

describe('inventory CSV (declared machines)', () => {
  it('reads rows with their line numbers, quoted fields, CRLF and a byte order mark', () => {
    const csv = `\uFEFF${header}\r\n52-54-00-AA-00-01,10.0.0.11,admin,"pa,ss""word",,r1,u12,"role=web;env=prod",web-1\r\n\r\n525400aa0002,bmc2.example:623,,,bmc-shared,r1,u14,,\r\n`;
    const r = parseInventoryCsv(csv);
    expect(r).toEqual({
      ok: true,
      rows: [
        { line: 2, mac: '52:54:00:aa:00:01', bmc: { protocol: 'ipmi', address: '10.0.0.11' }, credential: { kind: 'inline', username: 'admin', password: 'pa,ss"word' }, labels: { role: 'web', env: 'prod', rack: 'r1', position: 'u12' }, name: 'web-1' },
        { line: 4, mac: '52:54:00:aa:00:02', bmc: { protocol: 'ipmi', address: 'bmc2.example:623' }, credential: { kind: 'ref', ref: 'bmc-shared' }, labels: { rack: 'r1', position: 'u14' }, name: undefined },
      ],
    });
  });

  it('names every bad row with its line and its problem, not just the first', () => {
    const csv = [
      header,
      '52:54:00:aa:00:01,10.0.0.11,admin,pw,,r1,u1,,',
      'not-a-mac,10.0.0.12,admin,pw,,r1,u2,,',
      '52:54:00:aa:00:03,,admin,,,r1,u3,,',
      '52:54:00:AA:00:01,10.0.0.14,admin,pw,ref1,r1,u4,,',
      '52:54:00:aa:00:05,10.0.0.15,admin,pw,,r1,u5,novalue,Bad_Name',
      '"52:54:00:aa:00:06","10.0.0.16 ; rm",admin,pw,,r1,u 6,,',
    ].join('\n');
    const r = parseInventoryCsv(csv);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      { line: 3, message: 'mac "not-a-mac" is not a MAC address (six hex octets, e.g. 52:54:00:12:34:56)' },
      { line: 4, message: 'bmc_address is empty' },
      { line: 4, message: 'no BMC credential: give bmc_password (and bmc_username) or credential_ref' },
      { line: 5, message: 'mac 52:54:00:aa:00:01 is already on line 2' },
      { line: 5, message: 'give bmc_username/bmc_password or credential_ref, not both' },
      { line: 6, message: 'label "novalue" is not key=value' },
      { line: 6, message: 'name "Bad_Name" must be lower-case letters, digits and dashes (at most 63)' },
      { line: 7, message: 'bmc_address "10.0.0.16 ; rm" is not a host or host:port' },
      { line: 7, message: 'label position="u 6": a value is at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit' },
    ]);
  });

  it('a line number counts the physical lines of a quoted field spanning lines', () => {
    const r = parseInventoryCsv(`${header}\n52:54:00:aa:00:01,10.0.0.1,admin,"multi\nline",,,,,\nbad,10.0.0.2,a,b,,,,,`);
    expect(!r.ok && r.problems).toEqual([{ line: 4, message: expect.stringContaining('"bad" is not a MAC') }]);
  });

  it('header problems: unknown column, missing mac, empty file, header only, unclosed quote', () => {
    expect(parseInventoryCsv('mac,bmc_address,colour\n')).toEqual({ ok: false, problems: [{ line: 1, message: expect.stringContaining('unknown column "colour"') }] });
    expect(parseInventoryCsv('bmc_address,bmc_password\n10.0.0.1,x\n')).toEqual({ ok: false, problems: [{ line: 1, message: 'missing column mac' }] });
    expect(parseInventoryCsv('')).toMatchObject({ ok: false, problems: [{ line: 1, message: expect.stringContaining('empty') }] });
    expect(parseInventoryCsv(`${header}\n`)).toMatchObject({ ok: false, problems: [{ line: 1, message: 'no machines: only the header row' }] });
    expect(parseInventoryCsv(`${header}\n"52:54:00:aa:00:01,10.0.0.1\n`)).toMatchObject({ ok: false, problems: [{ line: 2, message: 'a quoted field is never closed' }] });
  });

  it('Redfish BMCs are declared with bmc_protocol; other protocols are refused', () => {
    const ok = parseInventoryCsv('mac,bmc_address,bmc_protocol,bmc_password\n52:54:00:aa:00:01,10.0.0.1:8443,Redfish,x\n');
    expect(ok.ok && ok.rows[0].bmc).toEqual({ protocol: 'redfish', address: '10.0.0.1:8443' });
    const bad = parseInventoryCsv('mac,bmc_address,bmc_protocol,bmc_password\n52:54:00:aa:00:01,10.0.0.1,telnet,x\n');
    expect(!bad.ok && bad.problems[0].message).toBe('bmc_protocol "telnet": say ipmi or redfish');
  });
});
