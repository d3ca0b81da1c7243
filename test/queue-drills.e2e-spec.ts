import { QUEUE_CALLERS, writeCallersFile } from './helpers/callers';
import { completionOf, postJson } from './helpers/gateway';
import { freePort } from './helpers/free-port';
import { RunningProcess, startProcess, waitForHttp } from './helpers/process';
import { RedisServer, startRedis } from './helpers/redis-server';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';
import { eventually } from './helpers/eventually';

/**
 * Fault drills with real processes and real signals: what was accepted (202) must all be answered,
 * each with its own result, whatever dies in between. Counts are printed for the issue note.
 */

const ASSESSOR = { authorization: 'Bearer assessor-key-0001' };
const ask = (content: string) => ({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content }] });

interface Accepted {
  queue_id: string;
  durable: boolean;
}

describe('queue drills', () => {
  let redis: RedisServer;
  let stub: OpenAiStub;
  const running: RunningProcess[] = [];

  const env = (extra: Record<string, string>) => ({
    REDIS_URL: redis.url,
    CALLERS_FILE: writeCallersFile(QUEUE_CALLERS),
    OPENAI_API_KEY: 'sk-test-openai-secret',
    OPENAI_BASE_URL: stub.baseUrl,
    RETRY_MAX_ATTEMPTS: '1',
    RETRY_BASE_DELAY_MS: '50',
    BREAKER_VOLUME_THRESHOLD: '3',
    BREAKER_RESET_TIMEOUT_SECONDS: '1',
    QUEUE_MAX_RETRIES: '10',
    LOG_LEVEL: 'warn',
    ...extra,
  });

  async function gateway(
    extra: Record<string, string> = {},
  ): Promise<{ url: string; process: RunningProcess }> {
    const port = await freePort();
    const process = startProcess('gateway', env({ PORT: String(port), ...extra }));
    running.push(process);
    await waitForHttp(`http://127.0.0.1:${port}/health/live`);
    return { url: `http://127.0.0.1:${port}`, process };
  }

  async function worker(extra: Record<string, string> = {}): Promise<RunningProcess> {
    const port = await freePort();
    const process = startProcess('worker', env({ WORKER_PORT: String(port), ...extra }));
    running.push(process);
    await waitForHttp(`http://127.0.0.1:${port}/health/live`);
    return process;
  }

  async function accept(
    url: string,
    prompts: string[],
    headers: Record<string, string> = {},
  ): Promise<Accepted[]> {
    const responses = await Promise.all(
      prompts.map((prompt) =>
        postJson(`${url}/v1/chat/completions`, ask(prompt), { ...ASSESSOR, ...headers }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(prompts.map(() => 202));
    return Promise.all(responses.map(async (r) => (await r.json()) as Accepted));
  }

  /** Waits for every job's result and checks each answers its own prompt; returns how many completed. */
  async function collect(
    url: string,
    accepted: Accepted[],
    prompts: string[],
    timeoutMs: number,
  ): Promise<number> {
    const results = await Promise.all(
      accepted.map((job) =>
        eventually(async () => {
          const response = await fetch(`${url}/v1/results/${job.queue_id}`, { headers: ASSESSOR });
          return response.status === 200 ? completionOf(response) : undefined;
        }, timeoutMs),
      ),
    );
    results.forEach((result, i) =>
      expect(result.choices[0].message.content).toBe(`answer to: ${prompts[i]}`),
    );
    return results.length;
  }

  beforeEach(async () => {
    redis = await startRedis({ fsyncAlways: true });
    stub = await startOpenAiStub();
    stub.server.reply((request) => stub.completion(`answer to: ${stub.wire.userTexts(request).at(-1)}`));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((process) => process.stop('SIGKILL')));
    await stub.stop();
    await redis.stop();
  });

  it('loses nothing when the gateway that accepted the jobs is SIGKILLed and a new one takes over', async () => {
    const first = await gateway({ RUN_WORKERS: 'false' });
    const prompts = Array.from({ length: 50 }, (_, i) => `gateway drill ${i}`);
    const accepted = await accept(first.url, prompts, { 'x-processing-mode': 'async' });
    expect(accepted.every((job) => job.durable)).toBe(true);
    await first.process.stop('SIGKILL');

    const second = await gateway({ RUN_WORKERS: 'true' });
    const completed = await collect(second.url, accepted, prompts, 30_000);
    process.stdout.write(
      `gateway SIGKILL drill: accepted ${accepted.length}, completed ${completed}, lost ${accepted.length - completed}\n`,
    );
    expect(completed).toBe(50);
  }, 60_000);

  it('loses nothing when a worker is SIGKILLed mid-job: the stalled check hands its jobs to another worker', async () => {
    stub.server.reply((request) => ({
      ...stub.completion(`answer to: ${stub.wire.userTexts(request).at(-1)}`),
      delayMs: 1500,
    }));
    const api = await gateway({ RUN_WORKERS: 'false', LLM_TIMEOUT_SECONDS: '10' });
    const prompts = Array.from({ length: 20 }, (_, i) => `worker drill ${i}`);
    const accepted = await accept(api.url, prompts, { 'x-processing-mode': 'async' });
    const doomed = await worker({ WORKER_CONCURRENCY: '20', LLM_TIMEOUT_SECONDS: '10' });
    await eventually(() => (stub.server.requests.length >= 10 ? true : undefined), 10_000);
    await doomed.stop('SIGKILL');

    await worker({ WORKER_CONCURRENCY: '20', LLM_TIMEOUT_SECONDS: '10' });
    const completed = await collect(api.url, accepted, prompts, 45_000);
    process.stdout.write(
      `worker SIGKILL drill: accepted ${accepted.length}, completed ${completed}, lost ${accepted.length - completed}, provider calls ${stub.server.requests.length}\n`,
    );
    expect(completed).toBe(20);
  }, 90_000);

  it('loses nothing when Redis is SIGKILLed and restarted during an outage, and queues locally meanwhile', async () => {
    stub.server.reply(stub.errors.serverError());
    const api = await gateway({ RUN_WORKERS: 'true' });
    const before = Array.from({ length: 30 }, (_, i) => `redis drill ${i}`);
    const durable = await accept(api.url, before);
    expect(durable.every((job) => job.durable)).toBe(true);

    await redis.kill();
    await eventually(async () => {
      const body = (await (await fetch(`${api.url}/health/ready`)).json()) as { status: string };
      return body.status === 'degraded' ? true : undefined;
    }, 10_000);
    const during = Array.from({ length: 10 }, (_, i) => `redis down ${i}`);
    const local = await accept(api.url, during, { 'x-processing-mode': 'async' });
    expect(local.every((job) => !job.durable)).toBe(true);

    await redis.restart();
    stub.server.reply((request) => stub.completion(`answer to: ${stub.wire.userTexts(request).at(-1)}`));
    const completed = await collect(api.url, [...durable, ...local], [...before, ...during], 45_000);
    process.stdout.write(
      `redis SIGKILL drill: accepted ${durable.length + local.length} (${local.length} local), completed ${completed}, lost ${durable.length + local.length - completed}\n`,
    );
    expect(completed).toBe(40);
  }, 90_000);
});
