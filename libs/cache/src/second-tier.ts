import { join } from 'node:path';
import {
  RedisClient,
  RedisConnections,
  defineScripts,
  execOrThrow,
  isCluster,
  slotGroups,
} from '@breakwater/redis';
import { CACHE_EVENTS_CHANNEL } from './cache-bus';
import { CacheEntry, decodeEntry } from './cache-entry';

/**
 * Single-flight locks live outside `bw:cache:v1:*`, so no namespace pattern and no invalidation touches
 * them. The entry's whole key is the lock's hash tag, so on a Redis Cluster the lock is in the entry's
 * slot and commitFlight and peek may touch both (an entry key holds no braces: see FULL_KEY_PATTERN).
 */
const LOCK_PREFIX = 'bw:cache-lock:v2:';
const SCAN_BATCH = 500;

export interface StoredEntry {
  entry: CacheEntry;
  bytes: number;
}

export type LockOutcome = 'acquired' | 'held' | 'unavailable';

/**
 * The lib's Lua, read from beside the running code: src/lua under jest, its copy in dist/libs/cache/src in a
 * build.
 */
const SCRIPTS_DIR = join(__dirname, 'lua');

/** lua/commitFlight.lua and lua/extendFlightLock.lua (their headers say the arguments). */
interface FlightCommands {
  commitFlight(...args: (string | number)[]): Promise<number>;
  extendFlightLock(...args: (string | number)[]): Promise<number>;
}

export function lockKeyOf(key: string): string {
  return `${LOCK_PREFIX}{${key}}`;
}

/**
 * The Redis tier, over the request path's fail-fast client, each operation through
 * RedisConnections.sharedOr: while Redis is down no command is even sent, and a command the connection
 * loses counts as a miss, a skipped write or an unavailable lock. The cache is an optimisation; Redis
 * being away never fails a request (a command the server refuses is a bug, and is thrown).
 */
export class SecondTier {
  constructor(private readonly connections: RedisConnections) {}

  /** The client with the scripts defined: on first use, then a lookup (defineScripts defines once per connection). */
  private scripted(client: RedisClient): RedisClient & FlightCommands {
    return defineScripts<FlightCommands>(client, SCRIPTS_DIR);
  }

  /** The entry at `key` and the length of its stored form (what the first tier charges for it). */
  get(key: string): Promise<StoredEntry | undefined> {
    return this.connections.sharedOr(async (client) => {
      const text = await client.get(key);
      const entry = decodeEntry(text);
      return entry && text !== null ? { entry, bytes: text.length } : undefined;
    }, noAnswer);
  }

  /** SET with PX and the `filled` event, in one round trip. */
  async set(key: string, value: string, retainMs: number, event: string): Promise<void> {
    await this.connections.sharedOr(
      (client) =>
        execOrThrow(client.multi().set(key, value, 'PX', retainMs).publish(CACHE_EVENTS_CHANNEL, event)),
      noAnswer,
    );
  }

  lock(key: string, token: string, ttlMs: number): Promise<LockOutcome> {
    return this.connections.sharedOr<LockOutcome>(
      async (client) =>
        (await client.set(lockKeyOf(key), token, 'PX', ttlMs, 'NX')) === 'OK' ? 'acquired' : 'held',
      () => 'unavailable',
    );
  }

  async extend(key: string, token: string, ttlMs: number): Promise<void> {
    await this.connections.sharedOr(
      (client) => this.scripted(client).extendFlightLock(1, lockKeyOf(key), token, ttlMs),
      noAnswer,
    );
  }

  /** Stores `value` (none when empty) and releases the lock `token` holds, in one round trip. */
  async commit(key: string, value: string, retainMs: number, token: string, event: string): Promise<void> {
    await this.connections.sharedOr(
      (client) =>
        this.scripted(client).commitFlight(
          2,
          key,
          lockKeyOf(key),
          value,
          retainMs,
          token,
          CACHE_EVENTS_CHANNEL,
          event,
        ),
      noAnswer,
    );
  }

  /** The entry and whether its lock is still held, in one round trip; undefined when Redis cannot say. */
  peek(key: string): Promise<{ entry?: CacheEntry; locked: boolean } | undefined> {
    return this.connections.sharedOr(async (client) => {
      const [text, locked] = await execOrThrow(client.pipeline().get(key).exists(lockKeyOf(key)));
      return { entry: decodeEntry(text as string | null), locked: locked === 1 };
    }, noAnswer);
  }

  async publish(event: string): Promise<void> {
    await this.connections.sharedOr((client) => client.publish(CACHE_EVENTS_CHANNEL, event), noAnswer);
  }

  /** UNLINK one key: how many were deleted, undefined when Redis cannot say. */
  unlink(key: string): Promise<number | undefined> {
    return this.connections.sharedOr((client) => client.unlink(key), noAnswer);
  }

  /**
   * Every key under `prefix`, deleted with SCAN and UNLINK in batches (never KEYS, which blocks Redis
   * for the whole keyspace). On a cluster each primary is scanned, and each batch is unlinked one slot at
   * a time (one UNLINK may not span slots). Returns how many were deleted, or undefined when Redis failed
   * before any.
   */
  unlinkPrefix(prefix: string): Promise<number | undefined> {
    let deleted = 0;
    return this.connections.sharedOr(
      async (client) => {
        for (const node of isCluster(client) ? client.nodes('master') : [client]) {
          let cursor = '0';
          do {
            const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', SCAN_BATCH);
            cursor = next;
            for (const group of slotGroups(keys, isCluster(client))) {
              if (group.length > 0) deleted += await client.unlink(...group.map((index) => keys[index]));
            }
          } while (cursor !== '0');
        }
        return deleted;
      },
      () => (deleted > 0 ? deleted : undefined),
    );
  }
}

/** What the second tier answers while Redis is away: nothing (a miss, a skipped write). */
function noAnswer(): undefined {
  return undefined;
}
