import { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { freePort } from './free-port';
import { startRedisCluster } from './redis-cluster';
import { assertRedisInstalled, launchRedis, signalAndWait } from './redis-process';

/** A Redis of the test's own: one server, or a three-master cluster (see startRedis). */
export interface RedisServer {
  readonly kind: 'single' | 'cluster';
  /** The single server's URL; for a cluster, its first node's (suites pass `env` to the gateway instead). */
  readonly url: string;
  readonly port: number;
  /** The gateway environment that points at this Redis: `REDIS_URL`, or `REDIS_CLUSTER_NODES` for a cluster. */
  readonly env: Record<string, string>;
  /** A client for the test to inspect or shape data with; the caller quits it. */
  client(): Redis | Cluster;
  /** SIGTERM and wait; the data directory is removed. */
  stop(): Promise<void>;
  /** SIGKILL and wait: an abrupt loss, the data directory kept for restart(). */
  kill(): Promise<void>;
  /** Start again on the same port and directory (append-only data survives). */
  restart(): Promise<void>;
}

/**
 * A real redis-server of the test's own, on a free port in a temporary directory, with append-only
 * persistence and `noeviction` (as BullMQ requires). Never the machine's shared Redis.
 * `fsyncAlways` makes every acknowledged write durable before the reply (for SIGKILL drills).
 *
 * With `BREAKWATER_TEST_REDIS=cluster` in the environment (the jest `cluster` project sets it, through
 * test/helpers/cluster-mode.js) it starts a three-master Redis Cluster instead (startRedisCluster), so
 * the same suite runs against either; a suite points the gateway at it with `...redis.env`.
 */
export async function startRedis(options: { fsyncAlways?: boolean } = {}): Promise<RedisServer> {
  if (process.env.BREAKWATER_TEST_REDIS === 'cluster') return startRedisCluster(options);
  assertRedisInstalled();
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
    child = await launchRedis(args, port);
  };

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const running = child;
    child = undefined;
    await signalAndWait(running, signal);
  };

  await launch();
  const url = `redis://127.0.0.1:${port}`;
  return {
    kind: 'single',
    url,
    port,
    env: { REDIS_URL: url },
    client: () => new Redis(url),
    stop: async () => {
      await terminate('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    kill: () => terminate('SIGKILL'),
    restart: launch,
  };
}
