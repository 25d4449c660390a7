import { describe, expect, it } from 'vitest';
import {
  negotiateBlksize,
  negotiateOptions,
  negotiateTimeout,
  negotiateTsize,
  negotiateWindowsize,
} from './options.ts';

const limits = { maxBlksize: 1468, maxWindowsize: 16 };

describe('negotiateOptions', () => {
  it('answers the OVMF request with the real size and the agreed block and window', () => {
    const got = negotiateOptions(
      [
        { name: 'tsize', value: '0' },
        { name: 'blksize', value: '1468' },
        { name: 'windowsize', value: '4' },
      ],
      limits,
      850528,
    );
    expect(got.blksize).toBe(1468);
    expect(got.windowsize).toBe(4);
    expect(got.reply).toEqual([
      { name: 'tsize', value: '850528' },
      { name: 'blksize', value: '1468' },
      { name: 'windowsize', value: '4' },
    ]);
  });

  it('uses RFC 1350 defaults and sends no OACK when nothing was asked', () => {
    expect(negotiateOptions([], limits, 10)).toEqual({ blksize: 512, windowsize: 1, timeoutSeconds: undefined, reply: [] });
  });

  it('ignores unknown options, takes names case-insensitively, first occurrence wins', () => {
    const got = negotiateOptions(
      [
        { name: 'multicast', value: '' },
        { name: 'BLKSIZE', value: '1024' },
        { name: 'blksize', value: '8' },
      ],
      limits,
      0,
    );
    expect(got.reply).toEqual([{ name: 'blksize', value: '1024' }]);
    expect(got.blksize).toBe(1024);
  });

  it('clamps blksize and windowsize to the configured maxima', () => {
    const got = negotiateOptions(
      [
        { name: 'blksize', value: '65464' },
        { name: 'windowsize', value: '64' },
        { name: 'timeout', value: '3' },
      ],
      limits,
      1,
    );
    expect(got).toMatchObject({ blksize: 1468, windowsize: 16, timeoutSeconds: 3 });
    expect(got.reply.map((o) => o.value)).toEqual(['1468', '16', '3']);
  });
});

describe('window memory', () => {
  it('caps blksize x windowsize at 1 MiB, whatever the limits allow', () => {
    const got = negotiateOptions(
      [
        { name: 'blksize', value: '65464' },
        { name: 'windowsize', value: '65535' },
      ],
      { maxBlksize: 65464, maxWindowsize: 65535 },
      1 << 30,
    );
    expect(got.windowsize).toBe(16);
    expect(got.reply).toEqual([
      { name: 'blksize', value: '65464' },
      { name: 'windowsize', value: '16' },
    ]);
  });
});

describe('one RFC decision each', () => {
  it('blksize: 8..65464 (RFC 2348), else dropped', () => {
    expect(negotiateBlksize('7', 1468)).toBeUndefined();
    expect(negotiateBlksize('65465', 100000)).toBeUndefined();
    expect(negotiateBlksize('8', 1468)).toBe(8);
    expect(negotiateBlksize('65464', 100000)).toBe(65464);
    expect(negotiateBlksize('12ab', 1468)).toBeUndefined();
  });
  it('timeout: 1..255 s (RFC 2349), never changed, else dropped', () => {
    expect(negotiateTimeout('0')).toBeUndefined();
    expect(negotiateTimeout('256')).toBeUndefined();
    expect(negotiateTimeout('255')).toBe(255);
  });
  it('tsize: replies the real size (RFC 2349)', () => {
    expect(negotiateTsize('0', 33554432)).toBe(33554432);
    expect(negotiateTsize('x', 5)).toBeUndefined();
    expect(negotiateTsize('0', undefined)).toBeUndefined();
    expect(negotiateTsize('0', 0)).toBeUndefined(); // curl refuses an OACK with tsize 0
  });
  it('windowsize: 1..65535 (RFC 7440), clamped to the maximum', () => {
    expect(negotiateWindowsize('0', 16)).toBeUndefined();
    expect(negotiateWindowsize('65536', 70000)).toBeUndefined();
    expect(negotiateWindowsize('65535', 70000)).toBe(65535);
    expect(negotiateWindowsize('8', 4)).toBe(4);
  });
});
