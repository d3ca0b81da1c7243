import { UNREACHABLE_REDIS } from '@breakwater/testing';
import { freePort } from './helpers/free-port';
import { completionOf, errorOf, postJson } from './helpers/gateway';
import { startProcess, waitForHttp } from './helpers/process';

/** Nest closes the app on SIGTERM, then re-raises the signal: a clean stop ends by SIGTERM, not a crash code. */
const CLEAN_STOP = ['SIGTERM', 0];

describe('the built apps as processes', () => {
  it('starts the gateway with no Redis and no keys, answers a mock completion, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const gateway = startProcess('gateway', { PORT: String(port), REDIS_URL: UNREACHABLE_REDIS });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health/live`);
      const response = await postJson(`http://127.0.0.1:${port}/v1/chat/completions`, {
        model: 'mock/echo',
        messages: [{ role: 'user', content: 'from a real process' }],
      });
      expect(response.status).toBe(200);
      expect((await completionOf(response)).choices[0].message.content).toContain('from a real process');
    } finally {
      expect(CLEAN_STOP).toContain(await gateway.stop('SIGTERM'));
    }
    expect(gateway.output()).toContain('embedded mode');
    expect(gateway.output()).not.toContain('"level":"error"');
    expect(gateway.output()).not.toContain('dev-key');
  });

  it('starts the worker with /health and /metrics on WORKER_PORT and no /v1 API', async () => {
    const port = await freePort();
    const worker = startProcess('worker', { WORKER_PORT: String(port), REDIS_URL: UNREACHABLE_REDIS });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health/live`);
      expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain(
        'process_cpu_user_seconds_total',
      );
      const chat = await postJson(`http://127.0.0.1:${port}/v1/chat/completions`, {
        model: 'mock/echo',
        messages: [],
      });
      expect(chat.status).toBe(404);
      expect((await errorOf(chat)).error.code).toBe('NOT_FOUND');
    } finally {
      expect(CLEAN_STOP).toContain(await worker.stop('SIGTERM'));
    }
  });

  it.each([
    ['an invalid PORT', { PORT: 'abc' }, 'PORT'],
    ['an invalid MOCK_FAILURE_RATE', { MOCK_FAILURE_RATE: '7' }, 'MOCK_FAILURE_RATE'],
    ['production without callers', { NODE_ENV: 'production' }, 'CALLERS_FILE'],
    ['a callers file that does not exist', { CALLERS_FILE: '/nonexistent/callers.yaml' }, 'CALLERS_FILE'],
  ])('refuses to start with %s, naming the variable', async (_name, env, variable) => {
    const gateway = startProcess('gateway', {
      PORT: String(await freePort()),
      REDIS_URL: UNREACHABLE_REDIS,
      ...env,
    });
    expect(await gateway.exited).toBe(1);
    expect(gateway.output()).toContain(variable);
    expect(gateway.output()).not.toMatch(/\n\s+at /);
  });
});
