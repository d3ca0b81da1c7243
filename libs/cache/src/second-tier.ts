import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisConnections, defineScripts } from '@breakwater/redis';
import { CACHE_EVENTS_CHANNEL } from './cache-bus';
import { CACHE_KEY_PREFIX } from './cache-key';
import { CacheEntry, decodeEntry } from './cache-entry';

/** Single-flight locks live outside `bw:cache:v1:*`, so no namespace pattern and no invalidation touches them. */
const LOCK_PREFIX = 'bw:cache-lock:v1:';
const SCAN_BATCH = 500;

export interface StoredEntry {
  entry: CacheEntry;
  bytes: number;
}

export type LockOutcome = 'acquired' | 'held' | 'unavailable';

/**
 * The lib's Lua, read from beside the running code: the sources under jest, the app's folder in a build
 * (nest-cli.json copies every lib's `src/lua` there).
 */
const SCRIPTS_DIR = join(__dirname, 'lua');

/** lua/commitFlight.lua and lua/extendFlightLock.lua (their headers say the arguments). */
interface FlightCommands {
  commitFlight(...args: (string | number)[]): Promise<number>;
  extendFlightLock(...args: (string | number)[]): Promise<number>;
}

export function lockKeyOf(key: string): string {
  return LOCK_PREFIX + key.slice(CACHE_KEY_PREFIX.length);
}

/**
 * The Redis tier, over the request path's fail-fast client. Nothing here throws: while Redis is down
 * (`available` false) no command is even sent, and a command that fails counts as a miss, a skipped
 * write or an unavailable lock. The cache is an optimisation; it never fails a request.
 */
export class SecondTier {
  constructor(private readonly connections: RedisConnections) {}

  get available(): boolean {
    return this.connections.available;
  }

  /** The client with the scripts defined: on first use, then a lookup (defineScripts defines once per connection). */
  private get client(): Redis & FlightCommands {
    return defineScripts<FlightCommands>(this.connections.client, SCRIPTS_DIR);
  }

  /** The entry at `key` and the length of its stored form (what the first tier charges for it). */
  async get(key: string): Promise<StoredEntry | undefined> {
    if (!this.available) return undefined;
    try {
      const text = await this.client.get(key);
      const entry = decodeEntry(text);
      return entry && text !== null ? { entry, bytes: text.length } : undefined;
    } catch {
      return undefined;
    }
  }

  /** SET with PX and the `filled` event, in one round trip. */
  async set(key: string, value: string, retainMs: number, event: string): Promise<void> {
    if (!this.available) return;
    await this.client
      .multi()
      .set(key, value, 'PX', retainMs)
      .publish(CACHE_EVENTS_CHANNEL, event)
      .exec()
      .catch(() => undefined);
  }

  async lock(key: string, token: string, ttlMs: number): Promise<LockOutcome> {
    if (!this.available) return 'unavailable';
    try {
      const reply = await this.client.set(lockKeyOf(key), token, 'PX', ttlMs, 'NX');
      return reply === 'OK' ? 'acquired' : 'held';
    } catch {
      return 'unavailable';
    }
  }

  async extend(key: string, token: string, ttlMs: number): Promise<void> {
    if (this.available)
      await this.client.extendFlightLock(1, lockKeyOf(key), token, ttlMs).catch(() => undefined);
  }

  /** Stores `value` (none when empty) and releases the lock `token` holds, in one round trip. */
  async commit(key: string, value: string, retainMs: number, token: string, event: string): Promise<void> {
    if (!this.available) return;
    await this.client
      .commitFlight(2, key, lockKeyOf(key), value, retainMs, token, CACHE_EVENTS_CHANNEL, event)
      .catch(() => undefined);
  }

  /** The entry and whether its lock is still held, in one round trip; undefined when Redis cannot say. */
  async peek(key: string): Promise<{ entry?: CacheEntry; locked: boolean } | undefined> {
    if (!this.available) return undefined;
    try {
      const replies = await this.client.pipeline().get(key).exists(lockKeyOf(key)).exec();
      if (!replies || replies.some(([error]) => error)) return undefined;
      return { entry: decodeEntry(replies[0][1] as string | null), locked: replies[1][1] === 1 };
    } catch {
      return undefined;
    }
  }

  async publish(event: string): Promise<void> {
    if (this.available) await this.client.publish(CACHE_EVENTS_CHANNEL, event).catch(() => undefined);
  }

  /** UNLINK one key: how many were deleted, undefined when Redis cannot say. */
  async unlink(key: string): Promise<number | undefined> {
    if (!this.available) return undefined;
    try {
      return await this.client.unlink(key);
    } catch {
      return undefined;
    }
  }

  /**
   * Every key under `prefix`, deleted with SCAN and UNLINK in batches (never KEYS, which blocks Redis
   * for the whole keyspace). Returns how many were deleted, or undefined when Redis failed before any.
   */
  async unlinkPrefix(prefix: string): Promise<number | undefined> {
    if (!this.available) return undefined;
    let deleted = 0;
    let cursor = '0';
    try {
      do {
        const [next, keys] = await this.client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', SCAN_BATCH);
        cursor = next;
        if (keys.length > 0) deleted += await this.client.unlink(...keys);
      } while (cursor !== '0');
    } catch {
      return deleted > 0 ? deleted : undefined;
    }
    return deleted;
  }
}
