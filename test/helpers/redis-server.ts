import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** SIGTERM and wait; the data directory is removed. */
  stop(): Promise<void>;
  /** SIGKILL and wait: an abrupt loss, the data directory kept for restart(). */
  kill(): Promise<void>;
  /** Start again on the same port and directory (append-only data survives). */
  restart(): Promise<void>;
}

let checked = false;

function assertInstalled(): void {
  if (checked) return;
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'redis-server is not on PATH. The tests need a real Redis 7: install it with `apt-get install redis-server` ' +
        '(Debian/Ubuntu) or `brew install redis` (macOS). Tests never fall back to a fake.',
    );
  }
  checked = true;
}

/**
 * A real redis-server of the test's own, on a free port in a temporary directory, with append-only
 * persistence and `noeviction` (as BullMQ requires). Never the machine's shared Redis.
 * `fsyncAlways` makes every acknowledged write durable before the reply (for SIGKILL drills).
 */
export async function startRedis(options: { fsyncAlways?: boolean } = {}): Promise<RedisServer> {
  assertInstalled();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'breakwater-redis-'));
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'yes',
    ];
    args.push('--maxmemory-policy', 'noeviction', '--loglevel', 'warning');
    // Kill drills want every acknowledged write on disk, not the last second's worth.
    if (options.fsyncAlways) args.push('--appendfsync', 'always');
    const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    await waitUntilReady(started, port);
  };

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    await exited;
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      await terminate('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    kill: () => terminate('SIGKILL'),
    restart: launch,
  };
}

async function waitUntilReady(child: ChildProcess, port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited: ${output}`);
    const ping = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' });
    if (ping.stdout?.trim() === 'PONG') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server on port ${port} did not become ready: ${output}`);
}
