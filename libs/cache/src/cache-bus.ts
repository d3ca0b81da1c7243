import { randomUUID } from 'node:crypto';
import { RedisClient } from '@breakwater/redis';

/** The one pub/sub channel of the cache: fills (to wake waiters) and invalidations, for every replica. */
export const CACHE_EVENTS_CHANNEL = 'bw:cache:v1:events';

/**
 * What a replica tells the others. `filled`: the Redis entry under `key` was (re)written with an entry stored
 * at `storedAt` (0: the holder stored none), so waiters on it wake and other replicas drop an older first-tier
 * copy; `evict`: the entry was deleted; `namespace` and `all`: everything under a namespace, or everything,
 * was deleted.
 */
export type CacheEvent =
  | { kind: 'filled'; key: string; storedAt: number }
  | { kind: 'evict'; key: string }
  | { kind: 'namespace'; namespace: string }
  | { kind: 'all' };

export interface CacheBusHandlers {
  /** An event from another replica (or from this one: `fromHere` says so). */
  event(event: CacheEvent, fromHere: boolean): void;
  /** The subscription is (again) up: events sent while it was not (or before it first was) are lost. */
  resubscribed(): void;
}

/** A waiter's doorbell: `next` resolves at the next event for its key, or after `ms`, whichever is first. */
export interface FillWaiter {
  next(ms: number): Promise<void>;
  cancel(): void;
}

/**
 * The cache's pub/sub: its own subscriber connection (a subscribed connection can do nothing else),
 * which reconnects and resubscribes by itself. Messages are `<origin> <kind> <argument>`; keys and
 * namespaces hold no spaces.
 */
export class CacheBus {
  readonly origin = randomUUID();
  private readonly waiters = new Map<string, Set<() => void>>();
  private subscriber?: RedisClient;

  constructor(private readonly handlers: CacheBusHandlers) {}

  /** Listens on `subscriber`, a lazy connection of its own (RedisConnections.open) that it disconnects on stop. */
  start(subscriber: RedisClient): void {
    this.subscriber = subscriber;
    // Connection trouble is logged once per transition by RedisConnections; nothing to add per error.
    subscriber.on('error', () => undefined);
    subscriber.on('ready', () => this.handlers.resubscribed());
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === CACHE_EVENTS_CHANNEL) this.receive(message);
    });
    // The first command connects a lazy client; SUBSCRIBE waits in the offline queue until it is up.
    subscriber.subscribe(CACHE_EVENTS_CHANNEL).catch(() => undefined);
  }

  stop(): void {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  message(event: CacheEvent): string {
    switch (event.kind) {
      case 'filled':
        return `${this.origin} filled ${event.key} ${event.storedAt}`;
      case 'evict':
        return `${this.origin} evict ${event.key}`;
      case 'namespace':
        return `${this.origin} namespace ${event.namespace}`;
      case 'all':
        return `${this.origin} all -`;
    }
  }

  /** Registered before the waiter first looks at Redis, so a fill between that look and `next` is not lost. */
  waitFor(key: string): FillWaiter {
    let rung = false;
    let wake: (() => void) | undefined;
    const ring = (): void => {
      rung = true;
      wake?.();
    };
    let set = this.waiters.get(key);
    if (!set) this.waiters.set(key, (set = new Set()));
    set.add(ring);
    return {
      next: (ms) =>
        new Promise<void>((resolve) => {
          if (rung) {
            rung = false;
            return resolve();
          }
          const timer = setTimeout(done, ms);
          function done(): void {
            clearTimeout(timer);
            wake = undefined;
            rung = false;
            resolve();
          }
          wake = done;
        }),
      cancel: () => {
        const current = this.waiters.get(key);
        current?.delete(ring);
        if (current?.size === 0) this.waiters.delete(key);
        wake?.();
      },
    };
  }

  private receive(message: string): void {
    const [origin, kind, argument, storedAt] = message.split(' ');
    let event: CacheEvent;
    // A replica of an earlier version sends no storedAt: its fill supersedes any copy, as it did then.
    if (kind === 'filled') event = { kind, key: argument, storedAt: timeOf(storedAt) };
    else if (kind === 'evict') event = { kind, key: argument };
    else if (kind === 'namespace') event = { kind, namespace: argument };
    else if (kind === 'all') event = { kind };
    else return;
    if (event.kind === 'filled' || event.kind === 'evict') {
      for (const ring of this.waiters.get(event.key) ?? []) ring();
    }
    this.handlers.event(event, origin === this.origin);
  }
}

/** A fill's storedAt as sent; none (or not a number) supersedes every copy. */
function timeOf(text: string | undefined): number {
  const time = text === undefined ? NaN : Number(text);
  return Number.isNaN(time) ? Infinity : time;
}
