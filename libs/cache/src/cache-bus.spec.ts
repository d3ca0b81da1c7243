import { CacheBus, CacheEvent } from './cache-bus';

/** Two buses as two replicas: what one sends, as the other receives it from the channel. */
function delivered(event: CacheEvent): CacheEvent | undefined {
  const received: CacheEvent[] = [];
  const sender = new CacheBus({ event: () => undefined, resubscribed: () => undefined });
  const receiver = new CacheBus({ event: (got) => received.push(got), resubscribed: () => undefined });
  (receiver as unknown as { receive(message: string): void }).receive(sender.message(event));
  return received[0];
}

describe('CacheBus messages', () => {
  it('carry every kind of event whole, a fill with the time its entry was stored', () => {
    const key = `bw:cache:v1:app:${'a'.repeat(64)}`;
    const events: CacheEvent[] = [
      { kind: 'filled', key, storedAt: 1_796_000_000_123 },
      { kind: 'filled', key, storedAt: 0 },
      { kind: 'evict', key },
      { kind: 'namespace', namespace: 'app' },
      { kind: 'all' },
    ];
    for (const event of events) expect(delivered(event)).toEqual(event);
  });

  it('reads a fill of an earlier version (no time) as superseding any copy', () => {
    const received: CacheEvent[] = [];
    const bus = new CacheBus({ event: (got) => received.push(got), resubscribed: () => undefined });
    (bus as unknown as { receive(message: string): void }).receive('other-origin filled bw:cache:v1:app:k');
    expect(received).toEqual([{ kind: 'filled', key: 'bw:cache:v1:app:k', storedAt: Infinity }]);
  });
});
