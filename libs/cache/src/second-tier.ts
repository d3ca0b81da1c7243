import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisConnections } from '@breakwater/redis';
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

interface LuaScript {
  source: string;
  sha: string;
}

function lua(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * A holder's last step, in one round trip and atomically: store the entry (unless there is none to store),
 * release the lock if it is still ours, and ring the waiters. Waiters that then find the lock gone and
 * no entry know the holder failed and call for themselves.
 */
const COMMIT = lua(`
if ARGV[1] ~= '' then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1`);

/** Keeps a live holder's lock from expiring under it; a dead holder's lock runs out within one TTL. */
const EXTEND = lua(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`);

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

  private get client(): Redis {
    return this.connections.client;
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
    if (this.available) await this.run(EXTEND, [lockKeyOf(key)], [token, ttlMs]).catch(() => undefined);
  }

  /** Stores `value` (none when empty) and releases the lock `token` holds; see COMMIT. */
  async commit(key: string, value: string, retainMs: number, token: string, event: string): Promise<void> {
    if (!this.available) return;
    await this.run(
      COMMIT,
      [key, lockKeyOf(key)],
      [value, retainMs, token, CACHE_EVENTS_CHANNEL, event],
    ).catch(() => undefined);
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

  private async run(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await this.client.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      // First use on this server (or after SCRIPT FLUSH): send the source once, then EVALSHA works.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.client.eval(script.source, keys.length, ...keys, ...args);
    }
  }
}
