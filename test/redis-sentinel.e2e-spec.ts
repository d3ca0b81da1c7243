import { AcceptedBody } from '@breakwater/contracts';
import { QUEUE_CALLERS, writeCallersFile } from './helpers/callers';
import { eventually } from './helpers/eventually';
import { TestGateway, completionOf, postJson, startGateway } from './helpers/gateway';
import { RedisSentinelSet, startRedisSentinel } from './helpers/redis-sentinel';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';

/**
 * The queue behind Redis Sentinel: the primary is SIGKILLed while requests keep arriving, the sentinels
 * promote the replica, and every request answered 202 is still answered with its own result. The primary's
 * replication stream reaches the replica late (a slow link), so a job the primary acknowledged shortly
 * before it died is lost unless the gateway waited for the replica to hold it before its 202.
 */

const ASSESSOR = { authorization: 'Bearer assessor-key-0001' };
const REPLICATION_LAG_MS = 200;
const ask = (content: string) => ({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content }] });

describe('the queue behind Redis Sentinel', () => {
  let sentinel: RedisSentinelSet;
  let stub: OpenAiStub;
  let gateway: TestGateway;

  beforeEach(async () => {
    sentinel = await startRedisSentinel({ replicationLagMs: REPLICATION_LAG_MS });
    stub = await startOpenAiStub();
    gateway = await startGateway({
      ...sentinel.env,
      CALLERS_FILE: writeCallersFile(QUEUE_CALLERS),
      OPENAI_API_KEY: 'sk-test-openai-secret',
      OPENAI_BASE_URL: stub.baseUrl,
      RETRY_MAX_ATTEMPTS: '1',
      RETRY_BASE_DELAY_MS: '50',
      BREAKER_VOLUME_THRESHOLD: '3',
      BREAKER_RESET_TIMEOUT_SECONDS: '1',
      QUEUE_MAX_RETRIES: '10',
      WORKER_CONCURRENCY: '20',
      RATE_LIMIT_PER_MINUTE: '10000',
      RUN_WORKERS: 'true',
      LOG_LEVEL: 'warn',
    });
  });
  afterEach(async () => {
    await gateway?.close();
    await stub?.stop();
    await sentinel?.stop();
  });

  /** One request: its 202 body, or a failure naming the status it got instead. */
  async function accept(prompt: string): Promise<AcceptedBody> {
    const response = await postJson(`${gateway.url}/v1/chat/completions`, ask(prompt), ASSESSOR);
    if (response.status !== 202) {
      throw new Error(`"${prompt}" answered ${response.status}: ${await response.text()}`);
    }
    return (await response.json()) as AcceptedBody;
  }

  const readiness = async (): Promise<string> =>
    ((await (await fetch(`${gateway.url}/health/ready`)).json()) as { status: string }).status;

  it('answers every accepted request after the primary is SIGKILLed mid-traffic and the replica promoted', async () => {
    stub.server.reply(stub.errors.serverError());
    const prompts: string[] = [];
    const accepted: AcceptedBody[] = [];
    /** When the primary was killed, and when a request was next answered durable. */
    const moments: { killed?: number; durableAgain?: number } = {};
    const submit = async (prompt: string): Promise<void> => {
      const index = prompts.push(prompt) - 1;
      const job = await accept(prompt);
      accepted[index] = job;
      if (moments.killed !== undefined && job.durable) moments.durableAgain ??= Date.now();
    };

    await Promise.all(Array.from({ length: 30 }, (_, i) => submit(`before the failover ${i}`)));
    expect(accepted.every((job) => job.durable)).toBe(true);

    // Requests keep arriving, three every 100 ms, from before the kill until they go to Redis again.
    let arriving = true;
    const traffic = (async () => {
      for (let round = 0; arriving; round++) {
        await Promise.all([
          ...Array.from({ length: 3 }, (_, i) => submit(`during the failover ${round}.${i}`)),
          new Promise((resolve) => setTimeout(resolve, 100)),
        ]);
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const killedAt = Date.now();
    moments.killed = killedAt;
    const failoverMs = await sentinel.killPrimary();
    await eventually(async () => (await readiness()) === 'ok', 30_000);
    const readyMs = Date.now() - killedAt;
    // The queue's own connections find the new primary on their next reconnect, up to two seconds later.
    await eventually(() => moments.durableAgain !== undefined, 10_000);
    arriving = false;
    await traffic;
    const durableMs = (moments.durableAgain ?? 0) - killedAt;

    // Every job answered durable is on the new primary, before the provider returns.
    const primary = sentinel.client();
    const durable = accepted.filter((job) => job.durable);
    const present = await Promise.all(durable.map((job) => primary.exists(`bull:bw-llm:${job.queue_id}`)));
    expect(durable.filter((_job, i) => present[i] !== 1)).toEqual([]);
    // The jobs accepted locally meanwhile move to Redis too, though the queue's connection came back after
    // the gateway's own: nothing accepted stays in this one process.
    const local = accepted.filter((job) => !job.durable);
    expect(local.length).toBeGreaterThan(0);
    await eventually(async () => {
      const moved = await Promise.all(local.map((job) => primary.exists(`bull:bw-llm:${job.queue_id}`)));
      return moved.every((exists) => exists === 1);
    }, 20_000);

    stub.server.reply((request) => stub.completion(`answer to: ${stub.wire.userTexts(request).at(-1)}`));
    const results = await Promise.all(
      accepted.map((job) =>
        eventually(async () => {
          const response = await fetch(`${gateway.url}/v1/results/${job.queue_id}`, { headers: ASSESSOR });
          return response.status === 200 ? completionOf(response) : undefined;
        }, 60_000),
      ),
    );
    results.forEach((result, i) =>
      expect(result.choices[0].message.content).toBe(`answer to: ${prompts[i]}`),
    );
    process.stdout.write(
      `sentinel failover drill: failover ${failoverMs} ms; ready ${readyMs} ms and durable ${durableMs} ms ` +
        `after the kill; accepted ${accepted.length} (${durable.length} durable), completed ${results.length}\n`,
    );
  }, 120_000);
});
