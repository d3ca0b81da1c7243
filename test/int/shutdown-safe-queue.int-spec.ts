import { Queue } from 'bullmq';
import { bullConnection, ShutdownSafeQueue } from '@breakwater/queue';
import { RedisConnections } from '@breakwater/redis';
import { testConfig } from '@breakwater/testing';
import { eventually } from '../helpers/eventually';
import { startRedis, RedisServer } from '../helpers/redis-server';

/** The producers' queue class against a real redis-server that dies under it. */
describe('ShutdownSafeQueue', () => {
  let redis: RedisServer;
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);

  beforeAll(() => process.on('unhandledRejection', record));
  afterAll(() => process.off('unhandledRejection', record));
  beforeEach(async () => {
    unhandled.length = 0;
    redis = await startRedis();
  });
  afterEach(() => redis.stop().catch(() => undefined));

  /** A producer queue that has connected, then lost Redis (SIGKILL) and is reconnecting. */
  async function orphaned<Q extends Queue>(make: (name: string, url: string) => Q): Promise<Q> {
    const queue = make(`test-${Date.now()}`, redis.url);
    queue.on('error', () => undefined);
    await queue.waitUntilReady();
    await redis.kill();
    const client = await queue.client;
    await eventually(() => client.status !== 'ready', 5_000);
    return queue;
  }

  /** The producers' connection options for `url`, as the app derives them (the lazy client is never connected). */
  const producer = (url: string) =>
    bullConnection(new RedisConnections(testConfig({ REDIS_URL: url })), 'producer');
  const plain = (name: string, url: string) => new Queue(name, producer(url));
  const safe = (name: string, url: string) => new ShutdownSafeQueue(name, producer(url));

  it("shows the harm: BullMQ's own close() rejects or hangs once Redis is gone under a fail-fast connection", async () => {
    const queue = await orphaned(plain);
    const settled = await Promise.race([
      queue.close().then(
        () => 'resolved',
        () => 'rejected',
      ),
      new Promise((resolve) => setTimeout(() => resolve('pending'), 3_000)),
    ]);
    expect(settled).not.toBe('resolved');
    (await queue.client).disconnect();
  });

  it('closes at once with Redis gone, rejects nothing and leaves no reconnect loop', async () => {
    const queue = await orphaned(safe);
    const started = Date.now();
    await expect(queue.close()).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(100);
    // Redis is back on the same port: a client still in its reconnect loop would be ready again.
    await redis.restart();
    const client = await queue.client;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(client.status).not.toBe('ready');
    expect(unhandled).toEqual([]);
  });

  it('closes a queue that never reached Redis, and one that is connected, without a rejection', async () => {
    const never = new ShutdownSafeQueue(`test-${Date.now()}`, producer('redis://127.0.0.1:1'));
    await expect(never.close()).resolves.toBeUndefined();
    const live = safe(`test-${Date.now()}`, redis.url);
    await live.waitUntilReady();
    await live.add('job', { n: 1 });
    expect(await live.count()).toBe(1);
    await expect(live.close()).resolves.toBeUndefined();
    expect(unhandled).toEqual([]);
  });
});
