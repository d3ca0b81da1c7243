import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { UNREACHABLE_REDIS } from '@breakwater/testing';
import { eventually } from './helpers/eventually';
import { freePort } from './helpers/free-port';
import { postJson } from './helpers/gateway';
import { RunningProcess, startProcess, waitForHttp } from './helpers/process';

const CHAT = { model: 'mock/echo', messages: [{ role: 'user', content: 'during the drain' }] };

/** True when nothing accepts a TCP connection on host:port (refused, or no answer within 1 s). */
function refuses(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(true);
    });
  });
}

/** Polls `/health/ready` every 10 ms until it answers 503; returns how long after `since` that was. */
async function unreadyAfter(baseUrl: string, since: number): Promise<{ ms: number; body: string }> {
  for (;;) {
    const response = await fetch(`${baseUrl}/health/ready`);
    const body = await response.text();
    if (response.status === 503) return { ms: Date.now() - since, body };
    if (Date.now() - since > 5000) throw new Error(`ready still ${response.status} 5 s after the signal`);
    await sleep(10);
  }
}

async function statusOf(url: string): Promise<number> {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response.status;
}

/** An IPv4 address of this machine other than loopback, if it has one. */
const external = Object.values(networkInterfaces())
  .flat()
  .find((address) => address && !address.internal && address.family === 'IPv4')?.address;

describe('shutdown and listening address of the built apps', () => {
  let running: RunningProcess[] = [];
  afterEach(async () => {
    for (const started of running) await started.stop('SIGKILL');
    running = [];
  });
  function start(app: 'gateway' | 'worker', env: Record<string, string>): RunningProcess {
    const started = startProcess(app, { REDIS_URL: UNREACHABLE_REDIS, ...env });
    running.push(started);
    return started;
  }

  it('on SIGTERM answers ready 503 at once, serves through the drain, finishes in-flight work, then exits 0', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const gateway = start('gateway', {
      PORT: String(port),
      SHUTDOWN_DRAIN_SECONDS: '2',
      MOCK_LATENCY_MS: '1500',
    });
    await waitForHttp(`${base}/health/ready`);

    const signalled = Date.now();
    gateway.child.kill('SIGTERM');
    const unready = await unreadyAfter(base, signalled);
    expect(unready.ms).toBeLessThan(200);
    expect(unready.body).toContain('shutting down');

    // A second SIGTERM during the drain neither cuts it short nor closes twice.
    gateway.child.kill('SIGTERM');
    const during = await postJson(`${base}/v1/chat/completions`, CHAT);
    expect(during.status).toBe(200);

    // Sent before the drain ends (and not a cache hit), it is still running when the listener closes.
    await sleep(Math.max(0, signalled + 1500 - Date.now()));
    let inFlightDone = false;
    const inFlight = postJson(`${base}/v1/chat/completions`, {
      ...CHAT,
      messages: [{ role: 'user', content: 'still in flight at close' }],
    }).finally(() => (inFlightDone = true));
    await sleep(Math.max(0, signalled + 2400 - Date.now()));
    expect(await refuses('127.0.0.1', port)).toBe(true);
    expect(inFlightDone).toBe(false);
    expect((await inFlight).status).toBe(200);

    expect(await gateway.exited).toBe(0);
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(2000);
  });

  it('keeps serving after SIGHUP and SIGUSR2', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const gateway = start('gateway', { PORT: String(port) });
    await waitForHttp(`${base}/health/ready`);

    gateway.child.kill('SIGHUP');
    gateway.child.kill('SIGUSR2');
    await sleep(300);
    expect(await statusOf(`${base}/health/live`)).toBe(200);
    expect(await statusOf(`${base}/health/ready`)).toBe(200);
    expect(gateway.child.exitCode).toBeNull();
    expect(gateway.child.signalCode).toBeNull();
  });

  it('on SIGINT closes without the drain and exits 0', async () => {
    const port = await freePort();
    const gateway = start('gateway', { PORT: String(port), SHUTDOWN_DRAIN_SECONDS: '20' });
    await waitForHttp(`http://127.0.0.1:${port}/health/ready`);

    const signalled = Date.now();
    gateway.child.kill('SIGINT');
    expect(await gateway.exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(5000);
  });

  it('on SIGINT during a SIGTERM drain closes at once, and only once', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const gateway = start('gateway', { PORT: String(port), SHUTDOWN_DRAIN_SECONDS: '20' });
    await waitForHttp(`${base}/health/ready`);

    const signalled = Date.now();
    gateway.child.kill('SIGTERM');
    await unreadyAfter(base, signalled);
    gateway.child.kill('SIGINT');
    gateway.child.kill('SIGINT');
    expect(await gateway.exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(5000);
  });

  it('stops the worker the same way: ready 503 at once on SIGTERM, live through the drain, exit 0', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const worker = start('worker', { WORKER_PORT: String(port), SHUTDOWN_DRAIN_SECONDS: '1' });
    await waitForHttp(`${base}/health/ready`);
    expect(
      await eventually(() => worker.output().includes(`listening on http://127.0.0.1:${port}`), 5000),
    ).toBe(true);

    const signalled = Date.now();
    worker.child.kill('SIGTERM');
    const unready = await unreadyAfter(base, signalled);
    expect(unready.ms).toBeLessThan(200);
    expect(unready.body).toContain('shutting down');
    expect(await statusOf(`${base}/health/live`)).toBe(200);

    expect(await worker.exited).toBe(0);
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(1000);
  });

  it('stops `npm start` when npm itself gets SIGTERM', async () => {
    const port = await freePort();
    // Its own process group, so the test can clean up a gateway that npm left behind.
    const npm = spawn('npm', ['start', '--silent'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NODE_ENV: 'test',
        PORT: String(port),
        REDIS_URL: UNREACHABLE_REDIS,
        SHUTDOWN_DRAIN_SECONDS: '0',
      },
      stdio: 'ignore',
      detached: true,
    });
    const npmExited = new Promise((resolve) => npm.once('exit', resolve));
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health/live`);
      npm.kill('SIGTERM');
      await npmExited;
      expect(await eventually(() => refuses('127.0.0.1', port), 5000)).toBe(true);
    } finally {
      try {
        if (npm.pid) process.kill(-npm.pid, 'SIGKILL');
      } catch {
        // the group has already ended
      }
    }
  });

  it('with no CALLERS_FILE and no HOST listens on 127.0.0.1 and says so at start', async () => {
    const port = await freePort();
    const gateway = start('gateway', { PORT: String(port) });
    await waitForHttp(`http://127.0.0.1:${port}/health/live`);
    expect(
      await eventually(() => gateway.output().includes(`listening on http://127.0.0.1:${port}`), 5000),
    ).toBe(true);
  });

  (external ? it : it.skip)(
    external
      ? `with no CALLERS_FILE and no HOST is not reachable on ${external}, and is with HOST=0.0.0.0`
      : 'is not reachable on a non-loopback address (skipped: this machine has only loopback)',
    async () => {
      const address = external ?? '';
      const port = await freePort();
      const devOnly = start('gateway', { PORT: String(port) });
      await waitForHttp(`http://127.0.0.1:${port}/health/live`);
      expect(await refuses(address, port)).toBe(true);
      await devOnly.stop('SIGINT');

      // The control: the same check sees a gateway that does listen on every address.
      const open = start('gateway', { PORT: String(port), HOST: '0.0.0.0' });
      await waitForHttp(`http://127.0.0.1:${port}/health/live`);
      expect(await refuses(address, port)).toBe(false);
      expect(
        await eventually(() => open.output().includes(`listening on http://0.0.0.0:${port}`), 5000),
      ).toBe(true);
    },
  );
});
