import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AppConfig } from '@breakwater/config';
import { AcceptedBody, ChatCompletion, GatewayError } from '@breakwater/contracts';
import { RedisConnections } from '@breakwater/redis';

/** What a first request with an `idempotency-key` answered, replayed to every repeat within 24 h. */
export type IdempotentAnswer =
  | { status: 200; body: ChatCompletion; provider: string; model: string }
  | { status: 202; body: AcceptedBody };

const KEEP_SECONDS = 24 * 3600;
const PENDING = '{"pending":true}';
const LOCAL_ENTRIES = 10_000;
/**
 * What the keys of embedded mode may hold in this process (stored answers and keys, UTF-16 code units),
 * least recently used first out; an answer larger than this is not remembered (its key can be reused).
 */
export const IDEMPOTENCY_LOCAL_MAX_BYTES = 16 * 1024 * 1024;

/**
 * `idempotency-key` per caller. The first request claims the key (SET NX, with a short expiry while it
 * is in flight so a crashed request does not lock the key for a day), then stores its 200 body or its
 * queue_id for 24 h; a repeat gets that answer back and makes no provider call and no job. A repeat
 * while the first is still in flight gets 409. Errors are not stored: the key can be retried. While
 * Redis is down the keys live in this process, within IDEMPOTENCY_LOCAL_MAX_BYTES, and only then: with
 * Redis up nothing is kept here. A key claimed or answered here during an outage is still answered from
 * here after Redis returns (Redis never saw it), until it expires or is pushed out.
 */
@Injectable()
export class IdempotencyStore {
  private readonly local = new LRUCache<string, string>({
    max: LOCAL_ENTRIES,
    maxSize: IDEMPOTENCY_LOCAL_MAX_BYTES,
    sizeCalculation: (value, key) => value.length + key.length,
    ttl: KEEP_SECONDS * 1000,
  });
  private readonly pendingSeconds: number;

  constructor(
    private readonly redis: RedisConnections,
    config: AppConfig,
  ) {
    this.pendingSeconds = Math.ceil((config.resilience.requestTimeoutMs * 2) / 1000);
  }

  /** Undefined: the key is now this request's; an answer: replay it. Throws 409 while another holds it. */
  async claim(callerId: string, key: string): Promise<IdempotentAnswer | undefined> {
    const storeKey = this.keyOf(callerId, key);
    const held = this.local.get(storeKey);
    if (held === undefined && (await this.setIfAbsent(storeKey, PENDING, this.pendingSeconds)))
      return undefined;
    const stored = held ?? (await this.get(storeKey));
    if (stored === undefined || stored === PENDING) {
      throw new GatewayError(
        'CONFLICT',
        'a request with this idempotency-key is still in progress: retry shortly',
        {
          param: 'idempotency-key',
          retryAfterSeconds: 1,
        },
      );
    }
    return JSON.parse(stored) as IdempotentAnswer;
  }

  async save(callerId: string, key: string, answer: IdempotentAnswer): Promise<void> {
    const storeKey = this.keyOf(callerId, key);
    const value = JSON.stringify(answer);
    if (await this.setShared(storeKey, value)) this.local.delete(storeKey);
    else this.local.set(storeKey, value);
  }

  async release(callerId: string, key: string): Promise<void> {
    const storeKey = this.keyOf(callerId, key);
    this.local.delete(storeKey);
    // Redis away: the claim lapses with its short expiry.
    await this.redis.sharedOr(
      async (client) => {
        await client.del(storeKey);
      },
      () => undefined,
    );
  }

  private keyOf(callerId: string, key: string): string {
    return `bw:idem:v1:${callerId}:${createHash('sha256').update(key).digest('hex')}`;
  }

  /** Whether Redis took the value. */
  private setShared(key: string, value: string): Promise<boolean> {
    return this.redis.sharedOr(
      async (client) => (await client.set(key, value, 'EX', KEEP_SECONDS)) === 'OK',
      () => false,
    );
  }

  private setIfAbsent(key: string, value: string, seconds: number): Promise<boolean> {
    return this.redis.sharedOr(
      async (client) => (await client.set(key, value, 'EX', seconds, 'NX')) === 'OK',
      () => {
        if (this.local.has(key)) return false;
        this.local.set(key, value, { ttl: seconds * 1000 });
        return true;
      },
    );
  }

  private get(key: string): Promise<string | undefined> {
    return this.redis.sharedOr(
      async (client) => (await client.get(key)) ?? undefined,
      () => this.local.get(key),
    );
  }
}
