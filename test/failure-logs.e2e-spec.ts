import { UNREACHABLE_REDIS } from '@breakwater/testing';
import { QUEUE_CALLERS, writeCallersFile } from './helpers/callers';
import { eventually } from './helpers/eventually';
import { freePort } from './helpers/free-port';
import { TestGateway, errorOf, postJson, startGateway } from './helpers/gateway';
import { RedisServer, startRedis } from './helpers/redis-server';

const PROVIDER_KEY = 'sk-test-openai-failure-logs-0001';
const ASSESSOR_KEY = 'assessor-key-0001';
const ASSESSOR = { authorization: `Bearer ${ASSESSOR_KEY}` };
const ask = (content: string) => ({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content }] });

type Line = Record<string, unknown>;

describe('logs that explain failures', () => {
  let redis: RedisServer;
  let gateway: TestGateway;

  beforeAll(async () => {
    redis = await startRedis();
    const closedPort = await freePort();
    gateway = await startGateway({
      REDIS_URL: redis.url,
      CALLERS_FILE: writeCallersFile(QUEUE_CALLERS),
      OPENAI_API_KEY: PROVIDER_KEY,
      // The provider is down: a closed port, as a new user's typo would make it.
      OPENAI_BASE_URL: `http://127.0.0.1:${closedPort}/v1`,
      RETRY_MAX_ATTEMPTS: '2',
      RETRY_BASE_DELAY_MS: '50',
      BREAKER_VOLUME_THRESHOLD: '2',
      BREAKER_RESET_TIMEOUT_SECONDS: '120',
      QUEUE_MAX_RETRIES: '5',
    });
  });

  afterAll(async () => {
    await gateway.close();
    await redis.stop();
  });

  const lines = (message: string): Line[] => gateway.logs.filter((line) => line.msg === message);
  const requestLine = (requestId: string): Line | undefined =>
    gateway.logs.find(
      (line) => line.request_id === requestId && typeof line.status === 'number' && 'duration_ms' in line,
    );

  it('logs each retry, the breaker opening, the 202, the job waiting on the breaker, and says why in its status', async () => {
    const queued = await postJson(`${gateway.url}/v1/chat/completions`, ask('is anyone there'), {
      ...ASSESSOR,
      'x-request-id': 'failure-logs-queued',
    });
    expect(queued.status).toBe(202);
    const { queue_id, durable } = (await queued.json()) as { queue_id: string; durable: boolean };
    expect(durable).toBe(true);

    const [retry] = lines('provider attempt failed: retrying');
    expect(retry).toMatchObject({ level: 'warn', provider: 'openai', model: 'gpt-4o-mini', attempt: 1 });
    expect(retry.reason).toMatch(/^openai: connection failed/);
    expect(typeof retry.delay_ms).toBe('number');
    expect(lines('provider attempt failed: no attempt or time left')[0]).toMatchObject({
      provider: 'openai',
      model: 'gpt-4o-mini',
      attempt: 2,
    });

    const [opened] = lines('circuit breaker opened');
    expect(opened).toMatchObject({ level: 'warn', provider: 'openai', from: 'closed', to: 'open' });
    expect(opened.reason).toMatch(/^openai: connection failed/);
    expect(Date.parse(String(opened.until))).toBeGreaterThan(Date.now() + 60_000);

    expect(requestLine('failure-logs-queued')).toMatchObject({
      status: 202,
      caller: 'assessor',
      provider: 'openai',
      model: 'gpt-4o-mini',
      error_code: 'PROVIDER_UNAVAILABLE',
      queue_id,
    });

    // The gateway's own worker takes the job and finds the breaker open: the job waits, and says so.
    const waiting = await eventually(() =>
      lines('queued job waits: the provider refuses calls for now').find(
        (line) => line.queue_id === queue_id,
      ),
    );
    expect(waiting).toMatchObject({
      level: 'warn',
      provider: 'openai',
      model: 'gpt-4o-mini',
      attempt: 1,
      request_id: 'failure-logs-queued',
    });
    expect(waiting.reason).toMatch(/^openai: connection failed.*; circuit open until \d\d:\d\d:\d\d UTC$/);

    const status = await eventually(async () => {
      const body = (await (
        await fetch(`${gateway.url}/v1/status/${queue_id}`, { headers: ASSESSOR })
      ).json()) as {
        status: string;
        attempts: number;
        error?: { code: string; message: string };
      };
      return body.error ? body : undefined;
    });
    expect(status).toMatchObject({ status: 'queued', attempts: 0, error: { code: 'PROVIDER_UNAVAILABLE' } });
    expect(status.error?.message).toBe(waiting.reason);
  });

  it('says why a job of the local queue (Redis down) waits on the breaker, in its status', async () => {
    const embedded = await startGateway({
      REDIS_URL: UNREACHABLE_REDIS,
      CALLERS_FILE: writeCallersFile(QUEUE_CALLERS),
      OPENAI_API_KEY: PROVIDER_KEY,
      OPENAI_BASE_URL: `http://127.0.0.1:${await freePort()}/v1`,
      RETRY_MAX_ATTEMPTS: '2',
      RETRY_BASE_DELAY_MS: '50',
      BREAKER_VOLUME_THRESHOLD: '2',
      BREAKER_RESET_TIMEOUT_SECONDS: '120',
    });
    try {
      const queued = await postJson(`${embedded.url}/v1/chat/completions`, ask('local'), ASSESSOR);
      expect(queued.status).toBe(202);
      const { queue_id, durable } = (await queued.json()) as { queue_id: string; durable: boolean };
      expect(durable).toBe(false);
      const status = await eventually(async () => {
        const response = await fetch(`${embedded.url}/v1/status/${queue_id}`, { headers: ASSESSOR });
        const body = (await response.json()) as { status: string; error?: { code: string; message: string } };
        return body.error ? body : undefined;
      });
      expect(status.status).toBe('queued');
      expect(status.error?.message).toMatch(
        /^openai: connection failed.*; circuit open until \d\d:\d\d:\d\d UTC$/,
      );
    } finally {
      await embedded.close();
    }
  });

  it('gives error lines their error code, param, provider and model', async () => {
    const immediate = await postJson(`${gateway.url}/v1/chat/completions`, ask('now or never'), {
      ...ASSESSOR,
      'x-processing-mode': 'immediate',
      'x-request-id': 'failure-logs-immediate',
    });
    expect(immediate.status).toBe(503);
    expect(requestLine('failure-logs-immediate')).toMatchObject({
      level: 'error',
      status: 503,
      provider: 'openai',
      model: 'gpt-4o-mini',
      error_code: 'PROVIDER_UNAVAILABLE',
    });

    const invalid = await postJson(
      `${gateway.url}/v1/chat/completions`,
      { model: 'openai/gpt-4o-mini', messages: [], temperature: 7 },
      { ...ASSESSOR, 'x-request-id': 'failure-logs-invalid' },
    );
    expect(invalid.status).toBe(400);
    const { error } = await errorOf(invalid);
    expect(error.param).toEqual(expect.any(String));
    expect(requestLine('failure-logs-invalid')).toMatchObject({
      status: 400,
      error_code: 'INVALID_REQUEST',
      param: error.param,
    });

    const unknownModel = await postJson(
      `${gateway.url}/v1/chat/completions`,
      { model: 'nowhere/none', messages: [{ role: 'user', content: 'x' }] },
      { ...ASSESSOR, 'x-request-id': 'failure-logs-model' },
    );
    expect(unknownModel.status).toBe(400);
    expect(requestLine('failure-logs-model')).toMatchObject({
      error_code: 'INVALID_REQUEST',
      param: 'model',
    });

    const unauthorized = await postJson(`${gateway.url}/v1/chat/completions`, ask('x'), {
      authorization: 'Bearer not-a-key-of-anyone-0001',
      'x-request-id': 'failure-logs-401',
    });
    expect(unauthorized.status).toBe(401);
    expect(requestLine('failure-logs-401')).toMatchObject({ status: 401, error_code: 'UNAUTHORIZED' });
  });

  it('logs an unmatched route with its method and path, without the query string, bounded', async () => {
    const missing = await fetch(`${gateway.url}/v1/nothing/here?api_key=query-secret-0001`, {
      headers: { ...ASSESSOR, 'x-request-id': 'failure-logs-404' },
    });
    expect(missing.status).toBe(404);
    expect(requestLine('failure-logs-404')).toMatchObject({
      method: 'GET',
      route: 'unmatched',
      path: '/v1/nothing/here',
      status: 404,
      error_code: 'NOT_FOUND',
    });

    const long = await fetch(`${gateway.url}/${'a'.repeat(5000)}`, {
      method: 'DELETE',
      headers: { 'x-request-id': 'failure-logs-long' },
    });
    expect(long.status).toBe(404);
    expect(requestLine('failure-logs-long')).toMatchObject({ method: 'DELETE', path: `/${'a'.repeat(255)}` });
  });

  it('never writes a provider key, a caller key, an Authorization value or a query string in these lines', () => {
    const text = gateway.rawLogs();
    expect(lines('provider attempt failed: retrying').length).toBeGreaterThan(0);
    for (const secret of [
      PROVIDER_KEY,
      ASSESSOR_KEY,
      'not-a-key-of-anyone-0001',
      'query-secret-0001',
      'Bearer',
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});
