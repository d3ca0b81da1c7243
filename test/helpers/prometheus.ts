import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './free-port';

/** One sample of an instant query: its labels and its value as Prometheus writes it. */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusServer {
  readonly url: string;
  /** An instant query at the current time; throws with Prometheus' own message when it errors. */
  query(expr: string): Promise<Sample[]>;
  /** GET of an API path, its `data`. */
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/** `promtool` or `prometheus` on PATH, or a message saying how to install them (never a silent skip). */
export function assertInstalled(binary: 'promtool' | 'prometheus'): void {
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `${binary} is not on PATH. The deploy tests run a real Prometheus: install it with ` +
        '`apt-get install prometheus` (Debian/Ubuntu; .ci/run does it) or from prometheus.io.',
    );
  }
}

/**
 * A real Prometheus of the test's own on a free loopback port, with a temporary data directory, scraping
 * `targets` (job name to host:port) every second and evaluating `ruleFiles` every second.
 */
export async function startPrometheus(
  targets: Record<string, string>,
  ruleFiles: string[] = [],
): Promise<PrometheusServer> {
  assertInstalled('prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'breakwater-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    stringify({
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: ruleFiles,
      scrape_configs: Object.entries(targets).map(([job, target]) => ({
        job_name: job,
        static_configs: [{ targets: [target] }],
      })),
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    await terminate(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(child, `${url}/-/ready`, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  const api = async <T>(path: string): Promise<T> => {
    const body = (await (await fetch(`${url}${path}`)).json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error ?? body.status}`);
    return body.data;
  };
  return {
    url,
    api,
    query: async (expr) =>
      (await api<{ result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`)).result,
    stop,
  };
}

async function waitUntilReady(child: ChildProcess, url: string, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited: ${output()}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`prometheus did not become ready: ${output()}`);
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
