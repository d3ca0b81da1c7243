import { LRUCache } from 'lru-cache';
import { CacheEntry } from './cache-entry';

/**
 * The in-process tier: an LRU of decoded entries, each kept no longer than its own lifetime (TTL plus the
 * stale window). `CACHE_L1_MAX_ENTRIES=0` turns it off.
 *
 * A fill from Redis races with invalidation: a GET answered just before an UNLINK must not put the old
 * entry back after the clear. Every clear starts a new epoch, and a fill is dropped unless the epoch it
 * read in is still current.
 */
export class FirstTier {
  private readonly lru?: LRUCache<string, CacheEntry>;
  private currentEpoch = 0;

  constructor(maxEntries: number) {
    if (maxEntries > 0) this.lru = new LRUCache<string, CacheEntry>({ max: maxEntries });
  }

  get epoch(): number {
    return this.currentEpoch;
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }

  get(key: string): CacheEntry | undefined {
    return this.lru?.get(key);
  }

  set(key: string, entry: CacheEntry, ttlMs: number): void {
    if (ttlMs >= 1) this.lru?.set(key, entry, { ttl: Math.ceil(ttlMs) });
  }

  /** `set`, unless a clear happened since `epoch`. */
  fill(epoch: number, key: string, entry: CacheEntry, ttlMs: number): void {
    if (epoch === this.currentEpoch) this.set(key, entry, ttlMs);
  }

  /** Drops a copy another replica superseded; unlike `delete`, no fill in flight is voided. */
  drop(key: string): void {
    this.lru?.delete(key);
  }

  delete(key: string): number {
    this.currentEpoch++;
    return this.lru?.delete(key) ? 1 : 0;
  }

  deletePrefix(prefix: string): number {
    this.currentEpoch++;
    if (!this.lru) return 0;
    const doomed = [...this.lru.keys()].filter((key) => key.startsWith(prefix));
    for (const key of doomed) this.lru.delete(key);
    return doomed.length;
  }

  clear(): number {
    this.currentEpoch++;
    const count = this.lru?.size ?? 0;
    this.lru?.clear();
    return count;
  }
}
