import { ChildProcess, spawn, spawnSync } from 'node:child_process';

let checked = false;

/** Stops a test at once, saying how to install Redis, when its tools are missing: tests never fall back to a fake. */
export function assertRedisInstalled(): void {
  if (checked) return;
  for (const tool of ['redis-server', 'redis-cli']) {
    const probe = spawnSync(tool, ['--version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      throw new Error(
        `${tool} is not on PATH. The tests need a real Redis 7: install it with \`apt-get install redis-server\` ` +
          '(Debian/Ubuntu) or `brew install redis` (macOS). Tests never fall back to a fake.',
      );
    }
  }
  checked = true;
}

/** A redis-server started with `args`, once it answers PING on `port` (the single server and each cluster node). */
export async function launchRedis(args: string[], port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitUntilReady(child, port);
  return child;
}

/** Sends `signal` and resolves once the process has exited (at once when it already had). */
export async function signalAndWait(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
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
