import {
  BreakwaterClient,
  BreakwaterClientOptions,
  BreakwaterError,
  ChatCompletionRequest,
  FetchLike,
  JobExpiredError,
  JobFailedError,
  PollTimeoutError,
} from '@breakwater/client';
import { QUEUE_CALLERS, writeCallersFile } from './helpers/callers';
import { TestGateway, startGateway } from './helpers/gateway';
import { RedisServer, startRedis } from './helpers/redis-server';
import { RecordedRequest } from './helpers/stubs/stub-server';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';

const ASSESSOR_KEY = 'assessor-key-0001';
const ask = (content: string, model = 'openai/gpt-4o-mini'): ChatCompletionRequest => ({
  model,
  messages: [{ role: 'user', content }],
});
const echo = (stub: OpenAiStub) => (request: RecordedRequest) =>
  stub.completion(`answer to: ${stub.wire.userTexts(request).at(-1)}`);

interface Call {
  method: string;
  url: string;
  at: number;
  status: number;
}

/** The global fetch, recording each call's method, path, time and status: how the tests see the polling. */
function recordingFetch(): { fetch: FetchLike; calls: Call[]; polls: () => Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    polls: () => calls.filter((call) => call.method === 'GET' && call.url.includes('/v1/results/')),
    fetch: async (url, init) => {
      const at = performance.now();
      const response = await fetch(url, init);
      calls.push({ method: init.method ?? 'GET', url, at, status: response.status });
      return response;
    },
  };
}

/** The error a promise rejects with, so a test can assert on its type and fields (and fail if it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, got a value');
}

describe('BreakwaterClient against the real gateway with workers, Redis and the OpenAI stub', () => {
  let redis: RedisServer;
  let stub: OpenAiStub;
  let gateway: TestGateway;
  const client = (options: Partial<BreakwaterClientOptions> = {}) =>
    new BreakwaterClient({ baseUrl: gateway.url, apiKey: ASSESSOR_KEY, ...options });

  beforeAll(async () => {
    redis = await startRedis();
    stub = await startOpenAiStub();
    gateway = await startGateway({
      REDIS_URL: redis.url,
      CALLERS_FILE: writeCallersFile(QUEUE_CALLERS),
      OPENAI_API_KEY: 'sk-test-openai-secret',
      OPENAI_BASE_URL: stub.baseUrl,
      RETRY_MAX_ATTEMPTS: '1',
      RETRY_BASE_DELAY_MS: '50',
      BREAKER_VOLUME_THRESHOLD: '2',
      BREAKER_RESET_TIMEOUT_SECONDS: '1',
      // Enough attempts that the job outlives the outage it was queued in.
      QUEUE_MAX_RETRIES: '10',
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await stub?.stop();
    await redis?.stop();
  });
  beforeEach(() => stub.server.reply(echo(stub)));

  it('returns the completion of a 200 without polling', async () => {
    const recorder = recordingFetch();
    const completion = await client({ fetch: recorder.fetch }).chat(ask('how warm is the sea today'));
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0].message.content).toBe('answer to: how warm is the sea today');
    expect(recorder.calls.map((call) => [call.method, call.status])).toEqual([['POST', 200]]);
  });

  it('waits out a provider outage: the 202 is polled until the queued job answers its own prompt', async () => {
    stub.server.reply(stub.errors.serverError());
    const recovery = setTimeout(() => stub.server.reply(echo(stub)), 1_000);
    try {
      const recorder = recordingFetch();
      const completion = await client({
        fetch: recorder.fetch,
        poll: { initialDelayMs: 100, maxDelayMs: 1_000, timeoutMs: 25_000 },
      }).chat(ask('grade essay 17 while the provider is down'));
      expect(completion.choices[0].message.content).toBe(
        'answer to: grade essay 17 while the provider is down',
      );
      expect(recorder.calls[0]).toMatchObject({ method: 'POST', status: 202 });
      const polls = recorder.polls();
      expect(polls.length).toBeGreaterThanOrEqual(1);
      expect(polls.at(-1)?.status).toBe(200);
      // Every poll asks for the job the POST was given.
      const queueId = /\/v1\/results\/([0-9a-f-]{36})$/.exec(polls[0].url)?.[1];
      expect(queueId).toBeDefined();
      expect(polls.every((poll) => poll.url.endsWith(`/v1/results/${queueId}`))).toBe(true);
    } finally {
      clearTimeout(recovery);
    }
  }, 30_000);

  it('throws JobFailedError with the code when an async job is rejected by the provider', async () => {
    stub.server.reply(stub.errors.reply(400, "Invalid value for 'temperature': must be at most 2."));
    const bw = client({ poll: { initialDelayMs: 100, timeoutMs: 20_000 } });
    const error = await rejectionOf(bw.chat(ask('a doomed request'), { processingMode: 'async' }));
    expect(error).toBeInstanceOf(JobFailedError);
    const failed = error as JobFailedError;
    expect(failed).toMatchObject({ status: 502, code: 'PROVIDER_ERROR' });
    expect(failed.message).toContain("Invalid value for 'temperature'");
    expect(failed.requestId).toEqual(expect.any(String));
    // The queue id is the job's: its status tells the same story.
    const status = await bw.status(failed.queueId);
    expect(status).toMatchObject({ queue_id: failed.queueId, status: 'failed' });
    expect(status.error?.message).toContain("Invalid value for 'temperature'");
  }, 30_000);

  it('throws BreakwaterError UNAUTHORIZED for a wrong key, with the request id', async () => {
    const error = await rejectionOf(
      client({ apiKey: 'not-a-key' }).chat(ask('let me in'), { requestId: 'req-client-401' }),
    );
    expect(error).toBeInstanceOf(BreakwaterError);
    expect(error).not.toBeInstanceOf(JobFailedError);
    expect(error).toMatchObject({ status: 401, code: 'UNAUTHORIZED', requestId: 'req-client-401' });
  });
});

describe('BreakwaterClient against a gateway whose queue nobody drains', () => {
  let redis: RedisServer;
  let gateway: TestGateway;
  // The polling path: status events off, as against a gateway that does not serve them.
  const client = (options: Partial<BreakwaterClientOptions> = {}) =>
    new BreakwaterClient({ baseUrl: gateway.url, apiKey: 'dev-key', statusEvents: false, ...options });

  beforeAll(async () => {
    redis = await startRedis();
    gateway = await startGateway({ REDIS_URL: redis.url, RUN_WORKERS: 'false' });
  });
  afterAll(async () => {
    await gateway?.close();
    await redis?.stop();
  });

  it('throws PollTimeoutError carrying the queue id when the total timeout runs out', async () => {
    const recorder = recordingFetch();
    const bw = client({ fetch: recorder.fetch });
    const started = performance.now();
    const error = await rejectionOf(
      bw.chat(ask('nobody will answer', 'mock/echo'), {
        processingMode: 'async',
        poll: { initialDelayMs: 100, timeoutMs: 1_500 },
      }),
    );
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(PollTimeoutError);
    const timeout = error as PollTimeoutError;
    expect(timeout).toMatchObject({ code: 'POLL_TIMEOUT', reason: 'timeout', status: 202 });
    expect(timeout.attempts).toBe(recorder.polls().length);
    expect(timeout.lastStatus?.status).toBe('queued');
    expect(elapsed).toBeLessThan(1_500 + 500);
    // The job outlives the client's patience: its queue id still finds it.
    expect(await bw.status(timeout.queueId)).toMatchObject({ queue_id: timeout.queueId, status: 'queued' });
    expect(await bw.result(timeout.queueId)).toMatchObject({ kind: 'pending', retryAfterSeconds: 2 });
  });

  it('throws PollTimeoutError after maxAttempts looks', async () => {
    const recorder = recordingFetch();
    const error = await rejectionOf(
      client({ fetch: recorder.fetch, poll: { initialDelayMs: 50, maxAttempts: 1 } }).chat(
        ask('one look only', 'mock/echo'),
        { processingMode: 'async' },
      ),
    );
    expect(error).toBeInstanceOf(PollTimeoutError);
    expect(error).toMatchObject({ reason: 'max_attempts', attempts: 1 });
    expect(recorder.polls()).toHaveLength(1);
  });

  it('never polls sooner than the gateway’s Retry-After of 2 s, whatever the initial delay', async () => {
    const recorder = recordingFetch();
    const error = await rejectionOf(
      client({ fetch: recorder.fetch, poll: { initialDelayMs: 50, factor: 1, timeoutMs: 5_500 } }).chat(
        ask('be patient', 'mock/echo'),
        { processingMode: 'async' },
      ),
    );
    expect(error).toBeInstanceOf(PollTimeoutError);
    const polls = recorder.polls();
    expect(polls.every((poll) => poll.status === 202)).toBe(true);
    expect(polls.length).toBeGreaterThanOrEqual(3);
    const gaps = polls.slice(1).map((poll, i) => poll.at - polls[i].at);
    // A timer may fire a millisecond early against performance.now(); anything near 50 ms would be the bug.
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(1_990);
  }, 15_000);

  it('throws JobExpiredError once the job outlives QUEUE_REQUEST_TTL_SECONDS', async () => {
    const expiringRedis = await startRedis();
    const expiring = await startGateway({
      REDIS_URL: expiringRedis.url,
      RUN_WORKERS: 'false',
      QUEUE_REQUEST_TTL_SECONDS: '1',
    });
    try {
      const bw = new BreakwaterClient({
        baseUrl: expiring.url,
        apiKey: 'dev-key',
        poll: { initialDelayMs: 200, timeoutMs: 15_000 },
      });
      const error = await rejectionOf(bw.chat(ask('too late', 'mock/echo'), { processingMode: 'async' }));
      expect(error).toBeInstanceOf(JobExpiredError);
      const expired = error as JobExpiredError;
      expect(expired).toMatchObject({ status: 410, code: 'EXPIRED' });
      expect(await bw.status(expired.queueId)).toMatchObject({ status: 'expired' });
    } finally {
      await expiring.close();
      await expiringRedis.stop();
    }
  }, 20_000);
});
