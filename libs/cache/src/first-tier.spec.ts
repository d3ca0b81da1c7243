import { completionWith } from '@breakwater/testing';
import { CacheEntry, encodeEntry } from './cache-entry';
import { FirstTier } from './first-tier';

const HOUR_MS = 3_600_000;

function entryOf(content: string): CacheEntry {
  return {
    completion: completionWith(content),
    provider: 'mock',
    model: 'echo',
    costUsd: 0,
    storedAt: 0,
    expiresAt: HOUR_MS,
  };
}

/** Puts an answer of `chars` characters under `key`, charged its encoded length. */
function put(tier: FirstTier, key: string, chars: number): number {
  const entry = entryOf('x'.repeat(chars));
  const bytes = encodeEntry(entry).length;
  tier.set(key, entry, HOUR_MS, bytes);
  return bytes + key.length;
}

describe('FirstTier', () => {
  it('evicts the least recently used entries once the byte cap is exceeded, whatever the count cap', () => {
    const tier = new FirstTier(10_000, 10_000);
    const charged = put(tier, 'a', 2_500);
    put(tier, 'b', 2_500);
    put(tier, 'c', 2_500);
    expect(tier.size).toBe(3);
    expect(tier.bytes).toBe(charged * 3);
    expect(tier.get('a')).toBeDefined();
    put(tier, 'd', 2_500);
    expect(tier.get('b')).toBeUndefined();
    expect(['a', 'c', 'd'].every((key) => tier.get(key) !== undefined)).toBe(true);
    expect(tier.bytes).toBeLessThanOrEqual(10_000);
  });

  it('does not keep an entry larger than the whole byte cap, and keeps the others', () => {
    const tier = new FirstTier(10_000, 10_000);
    put(tier, 'small', 100);
    put(tier, 'huge', 20_000);
    expect(tier.get('huge')).toBeUndefined();
    expect(tier.get('small')).toBeDefined();
    expect(tier.size).toBe(1);
  });

  it('still honours the count cap', () => {
    const tier = new FirstTier(2, 1_000_000);
    put(tier, 'a', 10);
    put(tier, 'b', 10);
    put(tier, 'c', 10);
    expect(tier.size).toBe(2);
    expect(tier.get('a')).toBeUndefined();
  });

  it('keeps of 200 answers of 600 KB only what fits in the default 64 MiB, newest first', () => {
    const maxBytes = 64 * 1024 * 1024;
    const tier = new FirstTier(10_000, maxBytes);
    let charged = 0;
    for (let i = 0; i < 200; i++) charged = put(tier, `key-${String(i).padStart(3, '0')}`, 600_000);
    expect(tier.bytes).toBeLessThanOrEqual(maxBytes);
    expect(tier.size).toBe(Math.floor(maxBytes / charged));
    expect(tier.get('key-199')).toBeDefined();
  });

  it('is off when either cap is 0', () => {
    for (const tier of [new FirstTier(0, 1000), new FirstTier(1000, 0)]) {
      put(tier, 'a', 10);
      expect(tier.get('a')).toBeUndefined();
    }
  });

  it("drops a copy on another replica's fill only when that fill is newer than the copy", () => {
    const tier = new FirstTier(100, 1_000_000);
    const at = (storedAt: number): CacheEntry => ({ ...entryOf('answer'), storedAt });
    tier.set('k', at(1_000), HOUR_MS, 100);
    // The fill's own entry, read from Redis before its event arrived: kept.
    tier.dropOlderThan('k', 1_000);
    expect(tier.get('k')?.storedAt).toBe(1_000);
    // A holder that stored nothing (0) supersedes nothing.
    tier.dropOlderThan('k', 0);
    expect(tier.get('k')).toBeDefined();
    // A newer entry elsewhere, or an event of an earlier version (no time: Infinity): dropped.
    tier.dropOlderThan('k', 1_001);
    expect(tier.get('k')).toBeUndefined();
    tier.set('k', at(5_000), HOUR_MS, 100);
    tier.dropOlderThan('k', Infinity);
    expect(tier.get('k')).toBeUndefined();
  });
});
