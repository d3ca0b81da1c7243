import { Redis } from 'ioredis';
import { redisOptionsOf } from '@breakwater/redis';
import { freePort } from './helpers/free-port';
import { completionOf, postJson } from './helpers/gateway';
import { startProcess, waitForHttp } from './helpers/process';
import { RedisServer, startRedis } from './helpers/redis-server';

/** Nest closes the app on SIGTERM, then re-raises the signal: a clean stop ends by SIGTERM, not a crash code. */
const CLEAN_STOP = ['SIGTERM', 0];

// The built gateway (dist/, as the Docker image runs it) against a real Redis: its Lua files were copied beside
// the bundle and run, so the request's windows and usage land in Redis.
describe('the built gateway with Redis', () => {
  let redis: RedisServer;
  let probe: Redis;

  beforeAll(async () => {
    redis = await startRedis();
    probe = new Redis(redisOptionsOf(redis.url));
  });
  afterAll(async () => {
    probe?.disconnect();
    await redis?.stop();
  });

  it('counts a completion in Redis through the scripts shipped with the bundle', async () => {
    const port = await freePort();
    const gateway = startProcess('gateway', { PORT: String(port), REDIS_URL: redis.url });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health/live`);
      const send = (): Promise<Response> =>
        postJson(`http://127.0.0.1:${port}/v1/chat/completions`, {
          model: 'mock/echo',
          messages: [{ role: 'user', content: 'counted in Redis' }],
        });
      const first = await send();
      expect(first.status).toBe(200);
      expect((await completionOf(first)).choices[0].message.content).toContain('counted in Redis');
      const second = await send();
      expect(second.status).toBe(200);
      await second.text();
      const remaining = Number(first.headers.get('x-ratelimit-remaining'));
      expect(Number(second.headers.get('x-ratelimit-remaining'))).toBe(remaining - 1);

      const windows = await probe.keys('bw:win:*');
      expect(windows.length).toBeGreaterThan(0);
      for (const key of windows) expect(await probe.get(key)).toBe('2');
      expect((await probe.keys('bw:usage:*')).length).toBe(2);
    } finally {
      expect(CLEAN_STOP).toContain(await gateway.stop('SIGTERM'));
    }
    expect(gateway.output()).not.toContain('"level":"error"');
  });
});
