import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, plural } from './format.ts';

describe('human units', () => {
  it('sizes in binary units, whole numbers without a decimal', () => {
    expect(formatBytes(64 * 2 ** 30)).toBe('64 GiB');
    expect(formatBytes(1.5 * 2 ** 40)).toBe('1.5 TiB');
    expect(formatBytes(480e9)).toBe('447 GiB');
    expect(formatBytes(undefined)).toBe('—');
  });
  it('durations read naturally', () => {
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(125)).toBe('2m 5s');
    expect(formatDuration(3 * 3600 + 60)).toBe('3h 1m');
  });
  it('plural', () => {
    expect(plural(1, 'machine')).toBe('1 machine');
    expect(plural(3, 'machine')).toBe('3 machines');
  });
});
