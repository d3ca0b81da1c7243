import { LRUCache } from 'lru-cache';
import { CacheEntry } from './cache-entry';

/** An entry as the first tier holds it, with the length of its encoded form (what it is charged). */
interface SizedEntry {
  entry: CacheEntry;
  bytes: number;
}

/**
 * The in-process tier: an LRU of decoded entries, each kept no longer than its own lifetime (TTL plus the
 * stale window), bounded by count (CACHE_L1_MAX_ENTRIES) and by the size of the entries' encoded form
 * plus their keys (CACHE_L1_MAX_BYTES), least recently used first out; an entry larger than the whole
 * byte cap is not kept. Either set to 0 turns the tier off. The encoded length (UTF-16 code units) is
 * the Redis value's, known at every write and fill, so sizing costs no second serialisation.
 *
 * A fill from Redis races with invalidation: a GET answered just before an UNLINK must not put the old
 * entry back after the clear. Every clear starts a new epoch, and a fill is dropped unless the epoch it
 * read in is still current.
 */
export class FirstTier {
  private readonly lru?: LRUCache<string, SizedEntry>;
  private currentEpoch = 0;

  constructor(maxEntries: number, maxBytes: number) {
    if (maxEntries > 0 && maxBytes > 0) {
      this.lru = new LRUCache<string, SizedEntry>({
        max: maxEntries,
        maxSize: maxBytes,
        sizeCalculation: (sized, key) => sized.bytes + key.length,
      });
    }
  }

  get epoch(): number {
    return this.currentEpoch;
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }

  /** What the held entries are charged, keys included. */
  get bytes(): number {
    return this.lru?.calculatedSize ?? 0;
  }

  get(key: string): CacheEntry | undefined {
    return this.lru?.get(key)?.entry;
  }

  /** `bytes`: the length of the entry's encoded form (`encodeEntry`). */
  set(key: string, entry: CacheEntry, ttlMs: number, bytes: number): void {
    if (ttlMs >= 1) this.lru?.set(key, { entry, bytes }, { ttl: Math.ceil(ttlMs) });
  }

  /** `set`, unless a clear happened since `epoch`. */
  fill(epoch: number, key: string, entry: CacheEntry, ttlMs: number, bytes: number): void {
    if (epoch === this.currentEpoch) this.set(key, entry, ttlMs, bytes);
  }

  /**
   * Drops a copy another replica superseded with an entry stored at `storedAt`; unlike `delete`, no fill in
   * flight is voided. A copy of that entry itself, or of a later one, stays: the event may arrive after this
   * replica read the new entry from Redis (on a cluster the event crosses the cluster bus and can come late).
   */
  dropOlderThan(key: string, storedAt: number): void {
    const held = this.lru?.peek(key);
    if (held && held.entry.storedAt < storedAt) this.lru?.delete(key);
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
