import { UNREACHABLE_REDIS } from '@breakwater/testing';
import { TestGateway, postJson, startGateway } from './helpers/gateway';
import { RedisServer, startRedis } from './helpers/redis-server';
import { eventually } from './helpers/eventually';

interface ReadinessBody {
  status: string;
  error: Record<string, unknown>;
  info: Record<string, unknown>;
}

const CHAT = { model: 'mock/echo', messages: [{ role: 'user', content: 'still there?' }] };

async function readiness(gateway: TestGateway): Promise<{ status: number; body: ReadinessBody }> {
  const response = await fetch(`${gateway.url}/health/ready`);
  return { status: response.status, body: (await response.json()) as ReadinessBody };
}

describe('health probes', () => {
  it('live answers 200 from the process alone', async () => {
    const gateway = await startGateway({ REDIS_URL: UNREACHABLE_REDIS });
    try {
      const response = await fetch(`${gateway.url}/health/live`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ status: 'ok' });
    } finally {
      await gateway.close();
    }
  });

  it('starts in embedded mode when Redis is unreachable: ready is degraded with 200 and chat answers', async () => {
    const gateway = await startGateway({ REDIS_URL: UNREACHABLE_REDIS });
    try {
      const ready = await readiness(gateway);
      expect(ready.status).toBe(200);
      expect(ready.body.status).toBe('degraded');
      expect(ready.body.error.redis).toMatchObject({ status: 'down', mode: 'embedded' });
      expect((await postJson(`${gateway.url}/v1/chat/completions`, CHAT)).status).toBe(200);
      const warnings = gateway.logs.filter(
        (line) => line.level === 'warn' && String(line.msg).includes('embedded'),
      );
      expect(warnings).toHaveLength(1);
    } finally {
      await gateway.close();
    }
  });

  describe('with a real Redis that dies and returns', () => {
    let redis: RedisServer;
    let gateway: TestGateway;

    beforeAll(async () => {
      redis = await startRedis();
      gateway = await startGateway({ REDIS_URL: redis.url });
    });
    afterAll(async () => {
      await gateway.close();
      await redis.stop();
    });

    it('is ok while Redis answers, degraded (200) while it is killed, ok again once it restarts', async () => {
      const up = await readiness(gateway);
      expect(up).toMatchObject({ status: 200, body: { status: 'ok', info: { redis: { status: 'up' } } } });

      await redis.kill();
      await eventually(async () => (await readiness(gateway)).body.status === 'degraded');
      expect((await readiness(gateway)).status).toBe(200);
      expect((await postJson(`${gateway.url}/v1/chat/completions`, CHAT)).status).toBe(200);

      await redis.restart();
      await eventually(async () => (await readiness(gateway)).body.status === 'ok');
      const lost = gateway.logs.filter((line) => String(line.msg).includes('Redis connection lost'));
      expect(lost).toHaveLength(1);
    });
  });
});
