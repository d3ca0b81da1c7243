import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@breakwater/config';
import { RedisConnections, execOrThrow } from '@breakwater/redis';
import { eventually } from '../helpers/eventually';
import { RedisServer, startRedis } from '../helpers/redis-server';

// The one rule of embedded mode, on a real RedisConnections against a redis-server this spec kills:
// available → the shared store; unavailable → the local fallback; the connection lost under a command
// → the local fallback; the server refusing a command → thrown.
describe('RedisConnections.sharedOr', () => {
  let redis: RedisServer;
  let connections: RedisConnections;
  let localCalls: number;
  const local = (): string => {
    localCalls++;
    return 'local';
  };

  beforeAll(async () => {
    redis = await startRedis();
    connections = new RedisConnections(loadConfig({ NODE_ENV: 'test', REDIS_URL: redis.url }));
    await connections.onModuleInit();
  });
  beforeEach(() => {
    localCalls = 0;
  });
  afterAll(async () => {
    await connections?.onApplicationShutdown();
    await redis?.stop();
  });

  it('runs the shared operation while Redis is available, and never the local one', async () => {
    const key = `bw:test:${randomUUID()}`;
    expect(connections.available).toBe(true);
    const answer = await connections.sharedOr(async (client) => {
      await client.set(key, 'shared');
      return client.get(key);
    }, local);
    expect(answer).toBe('shared');
    expect(localCalls).toBe(0);
  });

  it('throws what the server refuses (a script error, a wrong type) instead of falling back', async () => {
    const key = `bw:test:${randomUUID()}`;
    await expect(
      connections.sharedOr((client) => client.eval("return redis.error_reply('boom')", 0), local),
    ).rejects.toThrow('boom');
    await connections.client.set(key, 'a string');
    await expect(connections.sharedOr<unknown>((client) => client.hgetall(key), local)).rejects.toThrow(
      /WRONGTYPE/,
    );
    await expect(
      connections.sharedOr<unknown>(
        (client) => execOrThrow(client.pipeline().get(key).lpush(key, 'x')),
        local,
      ),
    ).rejects.toThrow(/WRONGTYPE/);
    await expect(
      connections.sharedOr(() => Promise.reject(new TypeError('a bug in the shared operation')), local),
    ).rejects.toThrow(TypeError);
    expect(localCalls).toBe(0);
  });

  it('falls back when the connection is lost under a command, then while Redis is down, and returns to shared', async () => {
    let sent = false;
    const blocked = connections.sharedOr<unknown>((client) => {
      sent = true;
      return client.blpop(`bw:test:${randomUUID()}`, 20);
    }, local);
    // BLPOP is on the wire (it blocks this connection, so nothing else can be asked on it): kill the server.
    await sleep(200);
    await redis.kill();
    expect(await blocked).toBe('local');
    expect(sent).toBe(true);
    expect(localCalls).toBe(1);

    await eventually(() => !connections.available, 5_000);
    let sharedCalls = 0;
    const down = await connections.sharedOr(() => {
      sharedCalls++;
      return Promise.resolve('shared');
    }, local);
    expect(down).toBe('local');
    expect(sharedCalls).toBe(0);
    // A pipeline's commands fail one by one on the fail-fast client: execOrThrow makes that a fallback too.
    expect(
      await connections.sharedOr<unknown>((client) => execOrThrow(client.pipeline().get('k')), local),
    ).toBe('local');

    await redis.restart();
    await eventually(() => connections.available, 10_000);
    expect(await connections.sharedOr(async (client) => client.ping(), local)).toBe('PONG');
    expect(localCalls).toBe(3);
  });
});
