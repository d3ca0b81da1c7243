import { IdempotencyStore, IdempotentAnswer } from '@breakwater/idempotency';
import { RedisConnections } from '@breakwater/redis';
import { completionWith, testConfig } from '@breakwater/testing';
import { eventually } from './helpers/eventually';
import { RedisServer, startRedis } from './helpers/redis-server';

const ANSWER_CHARS = 600 * 1024;

function answerOf(content: string): IdempotentAnswer {
  return { status: 200, provider: 'mock', model: 'echo', body: completionWith(content) };
}

describe('idempotency records live in Redis, and in process memory only while Redis is down', () => {
  let redis: RedisServer;
  let connections: RedisConnections;
  let store: IdempotencyStore;

  beforeEach(async () => {
    redis = await startRedis();
    const config = testConfig({ REDIS_URL: redis.url });
    connections = new RedisConnections(config);
    await connections.onModuleInit();
    expect(connections.available).toBe(true);
    store = new IdempotencyStore(connections, config);
  });
  afterEach(async () => {
    await connections.onApplicationShutdown();
    await redis.stop();
  });

  const answer = async (key: string, content: string) => {
    expect(await store.claim('caller', key)).toBeUndefined();
    await store.save('caller', key, answerOf(content));
  };

  it('keeps no answer in this process while Redis is up: after Redis is lost, none is replayed from memory', async () => {
    const keys = Array.from({ length: 60 }, (_, i) => `key-${i}`);
    for (const key of keys) await answer(key, 'x'.repeat(ANSWER_CHARS));
    // Stored in Redis: a repeat is replayed from there.
    expect(await store.claim('caller', 'key-0')).toMatchObject({ status: 200 });

    await redis.kill();
    await eventually(() => !connections.available, 10_000);
    // Nothing of those 36 MB was kept here: each key is free again in embedded mode.
    for (const key of keys) expect(await store.claim('caller', key)).toBeUndefined();
  });

  it('answers a key stored during an outage from this process after Redis returns', async () => {
    await redis.kill();
    await eventually(() => !connections.available, 10_000);
    await answer('during-outage', 'kept here');

    await redis.restart();
    await eventually(() => connections.available, 10_000);
    expect(await store.claim('caller', 'during-outage')).toMatchObject({
      status: 200,
      body: { choices: [{ message: { content: 'kept here' } }] },
    });
  });
});
