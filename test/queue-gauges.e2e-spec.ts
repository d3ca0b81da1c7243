import { UNREACHABLE_REDIS } from '@breakwater/testing';
import { eventually } from './helpers/eventually';
import { TestGateway, postJson, startGateway } from './helpers/gateway';
import { startRedis } from './helpers/redis-server';

// queue_oldest_job_age_seconds and redis_connected as /metrics shows them. The queue gauges are refreshed
// every 5 s, so each case waits for a refresh it can tell apart from the one before.

async function gauge(gateway: TestGateway, name: string): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!match) throw new Error(`${name} is not in /metrics`);
  return Number(match[1]);
}

async function queued(gateway: TestGateway, text: string): Promise<number> {
  const sent = Date.now();
  const response = await postJson(
    `${gateway.url}/v1/chat/completions`,
    { model: 'mock/echo', messages: [{ role: 'user', content: text }] },
    { authorization: 'Bearer dev-key', 'x-processing-mode': 'async' },
  );
  expect(response.status).toBe(202);
  return sent;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('queue age and Redis mode gauges', () => {
  it('in shared mode shows the age of the oldest waiting job, and 0 once a worker has taken them all', async () => {
    const redis = await startRedis();
    const api = await startGateway({ REDIS_URL: redis.url, RUN_WORKERS: 'false' });
    let worker: TestGateway | undefined;
    try {
      expect(await gauge(api, 'redis_connected')).toBe(1);
      const first = await queued(api, 'the oldest');
      await pause(10_000);
      const second = await queued(api, 'the newest');
      // Read within 3 s of the newest: its age is at most 3 s then, while the oldest's, as of a refresh
      // at most ~5 s old, is over 5 s.
      const age = await gauge(api, 'queue_oldest_job_age_seconds');
      expect(Date.now() - second).toBeLessThan(3_000);
      expect(age).toBeGreaterThan(4);
      expect(age).toBeLessThanOrEqual((Date.now() - first) / 1000);

      worker = await startGateway({ REDIS_URL: redis.url, RUN_WORKERS: 'true' });
      await eventually(async () => (await gauge(worker!, 'queue_oldest_job_age_seconds')) === 0 || undefined);
      await eventually(async () => (await gauge(api, 'queue_oldest_job_age_seconds')) === 0 || undefined);
    } finally {
      await worker?.close();
      await api.close();
      await redis.stop();
    }
  }, 60_000);

  it('in embedded mode shows redis_connected 0 and the age of the oldest job waiting for a free slot, not the running one', async () => {
    const gateway = await startGateway({
      REDIS_URL: UNREACHABLE_REDIS,
      WORKER_CONCURRENCY: '1',
      MOCK_LATENCY_MS: '9000',
      LLM_TIMEOUT_SECONDS: '10',
      REQUEST_TIMEOUT_SECONDS: '10',
    });
    try {
      expect(await gauge(gateway, 'redis_connected')).toBe(0);
      const running = await queued(gateway, 'takes the only slot');
      await pause(1_500);
      await queued(gateway, 'waits for the slot');
      const age = await eventually(async () => {
        const value = await gauge(gateway, 'queue_oldest_job_age_seconds');
        return value > 0 ? value : undefined;
      }, 10_000);
      // The running job is 1.5 s older than the waiting one; read within ~0.2 s of the refresh that set it.
      expect(age).toBeLessThan((Date.now() - running) / 1000 - 1);
    } finally {
      await gateway.close();
    }
  }, 60_000);
});
