import { ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { freePort } from './free-port';
import type { RedisServer } from './redis-server';
import { assertRedisInstalled, launchRedis, signalAndWait } from './redis-process';

const run = promisify(execFile);

/** A three-master Redis Cluster of the test's own. */
export interface RedisCluster extends RedisServer {
  readonly kind: 'cluster';
  /** Each master's client port, in the order they joined. */
  readonly ports: readonly number[];
  /** SIGKILL one master (no replica takes over: the others mark it failed and the cluster stops serving). */
  killNode(index: number): Promise<void>;
  /** Start that master again from its directory, and wait until the cluster serves every slot again. */
  restartNode(index: number): Promise<void>;
}

interface ClusterNode {
  readonly port: number;
  /** The cluster bus port, chosen free too: the default (port + 10000) may be taken or past 65535. */
  readonly busPort: number;
  readonly dir: string;
  child?: ChildProcess;
}

const MASTERS = 3;

/**
 * Three real `redis-server --cluster-enabled yes` masters on free loopback ports, each in its own
 * temporary directory with the single server's settings (append-only, `noeviction`), joined by
 * `redis-cli --cluster create` with no replicas, resolved once every node sees the cluster ok with all
 * 16384 slots served. Never the machine's shared Redis. The suites reach it through startRedis().
 */
export async function startRedisCluster(options: { fsyncAlways?: boolean } = {}): Promise<RedisCluster> {
  assertRedisInstalled();
  const ports = await distinctFreePorts(MASTERS * 2);
  const nodes: ClusterNode[] = Array.from({ length: MASTERS }, (_, i) => ({
    port: ports[i],
    busPort: ports[MASTERS + i],
    dir: mkdtempSync(join(tmpdir(), 'breakwater-redis-cluster-')),
  }));
  const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);

  const launchAll = async (): Promise<void> => {
    const launched = await Promise.allSettled(
      nodes.map(async (node) => {
        node.child = await launchRedis(nodeArgs(node, options), node.port);
      }),
    );
    const failed = launched.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  };
  const terminateAll = async (signal: NodeJS.Signals): Promise<void> => {
    await Promise.all(
      nodes.map((node) => {
        const running = node.child;
        node.child = undefined;
        return signalAndWait(running, signal);
      }),
    );
  };
  const removeDirs = () => nodes.forEach((node) => rmSync(node.dir, { recursive: true, force: true }));

  try {
    await launchAll();
    await createCluster(addresses);
    await waitUntilServing(nodes);
  } catch (error) {
    await terminateAll('SIGKILL');
    removeDirs();
    throw error;
  }

  return {
    kind: 'cluster',
    url: `redis://${addresses[0]}`,
    port: nodes[0].port,
    ports: nodes.map((node) => node.port),
    env: { REDIS_CLUSTER_NODES: addresses.join(',') },
    client: () => new Cluster(nodes.map((node) => ({ host: '127.0.0.1', port: node.port }))),
    stop: async () => {
      await terminateAll('SIGTERM');
      removeDirs();
    },
    kill: () => terminateAll('SIGKILL'),
    killNode: async (index) => {
      const node = nodes[index];
      const running = node.child;
      node.child = undefined;
      await signalAndWait(running, 'SIGKILL');
    },
    restartNode: async (index) => {
      const node = nodes[index];
      node.child = await launchRedis(nodeArgs(node, options), node.port);
      await waitUntilServing(nodes);
    },
    // Each node finds the others again from the nodes.conf in its directory.
    restart: async () => {
      await launchAll();
      await waitUntilServing(nodes);
    },
  };
}

function nodeArgs(node: ClusterNode, options: { fsyncAlways?: boolean }): string[] {
  const args = ['--port', String(node.port), '--bind', '127.0.0.1', '--dir', node.dir];
  args.push('--cluster-enabled', 'yes', '--cluster-port', String(node.busPort));
  args.push('--cluster-node-timeout', '2000', '--cluster-config-file', 'nodes.conf');
  args.push('--save', '', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning');
  // Kill drills want every acknowledged write on disk, not the last second's worth.
  if (options.fsyncAlways) args.push('--appendfsync', 'always');
  return args;
}

/** `count` ports free now and all different (two asks of the OS may hand out the same one). */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

async function createCluster(addresses: string[]): Promise<void> {
  const args = ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'];
  try {
    await run('redis-cli', args, { timeout: 30_000 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `redis-cli --cluster create ${addresses.join(' ')} failed: ${stdout ?? ''}${stderr ?? ''}`,
    );
  }
}

/** Waits until every node says the cluster is ok, knows and counts all three masters, and all slots are served. */
async function waitUntilServing(nodes: ClusterNode[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  let last: string[] = [];
  while (Date.now() < deadline) {
    last = await Promise.all(nodes.map((node) => clusterInfo(node.port)));
    if (last.every(isServing)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the Redis Cluster did not become ok:\n${last.join('\n---\n')}`);
}

async function clusterInfo(port: number): Promise<string> {
  try {
    return (await run('redis-cli', ['-p', String(port), 'cluster', 'info'])).stdout;
  } catch (error) {
    return String(error);
  }
}

function isServing(info: string): boolean {
  return (
    /^cluster_state:ok\r?$/m.test(info) &&
    /^cluster_slots_ok:16384\r?$/m.test(info) &&
    new RegExp(`^cluster_known_nodes:${MASTERS}\\r?$`, 'm').test(info) &&
    new RegExp(`^cluster_size:${MASTERS}\\r?$`, 'm').test(info)
  );
}
