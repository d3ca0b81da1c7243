import { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Server, Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { eventually } from './eventually';
import { freePort } from './free-port';
import { assertRedisInstalled, launchRedis, signalAndWait } from './redis-process';

/** The name the sentinels monitor the primary by. */
const SENTINEL_NAME = 'mymaster';
const SENTINELS = 3;
const QUORUM = 2;

export interface RedisSentinelSet {
  /** What the gateway needs to find the primary through the sentinels. */
  readonly env: { REDIS_SENTINELS: string; REDIS_SENTINEL_NAME: string };
  /**
   * SIGKILL the primary and wait until every sentinel names the replica as the new primary. Resolves with
   * the milliseconds from the kill to that agreement. Once: the set has one replica.
   */
  killPrimary(): Promise<number>;
  /** A client of the primary found through the sentinels, for inspection; disconnected by stop(). */
  client(): Redis;
  /** Everything stopped, temporary directories removed. */
  stop(): Promise<void>;
}

export interface RedisSentinelOptions {
  /**
   * Hold the primary's replication stream this long on its way to the replica (a slow link): the
   * sentinels and clients reach the first primary through a loopback proxy that delays only the
   * connection the replica syncs on, so a write is acknowledged to its client this long before the
   * replica has it. 0: no proxy.
   */
  replicationLagMs?: number;
}

interface RedisProcess {
  readonly port: number;
  readonly child: ChildProcess;
}

/**
 * A primary, one replica and three sentinels (quorum 2), each a real redis-server of the test's own on a
 * free loopback port in its own temporary directory. Data nodes keep an append-only file fsynced on
 * every write (`noeviction`, as BullMQ requires), so what a node acknowledged survives on that node;
 * what the replica had not received when its primary died is what a failover loses.
 */
export async function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<RedisSentinelSet> {
  assertRedisInstalled();
  const dirs: string[] = [];
  const processes: RedisProcess[] = [];
  const clients: Redis[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'breakwater-sentinel-'));
    dirs.push(dir);
    return dir;
  };
  const launch = async (args: string[], port: number): Promise<RedisProcess> => {
    const started = { port, child: await launchRedis(args, port) };
    processes.push(started);
    return started;
  };
  const dataNode = async (replicaOf?: number): Promise<RedisProcess> => {
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', tempDir(), '--save', ''];
    args.push('--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction');
    args.push('--loglevel', 'warning');
    if (replicaOf !== undefined) args.push('--replicaof', '127.0.0.1', String(replicaOf));
    return launch(args, port);
  };
  let proxy: LagProxy | undefined;

  const stop = async (): Promise<void> => {
    for (const client of clients.splice(0)) client.disconnect();
    proxy?.close();
    await Promise.all(processes.splice(0).map(({ child }) => signalAndWait(child, 'SIGTERM')));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  };

  try {
    const primary = await dataNode();
    const lag = options.replicationLagMs ?? 0;
    proxy = lag > 0 ? await startLagProxy(primary.port, lag) : undefined;
    const monitored = proxy?.port ?? primary.port;
    const replica = await dataNode(monitored);
    await eventually(async () => {
      const info = await query(primary.port, (redis) => redis.info('replication'));
      return /^slave0:.*state=online/m.test(info);
    }, 15_000);

    const sentinelPorts: number[] = [];
    for (let i = 0; i < SENTINELS; i++) {
      const port = await freePort();
      const config = join(tempDir(), 'sentinel.conf');
      writeFileSync(
        config,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${monitored} ${QUORUM}`,
          `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_NAME} 5000`,
          `sentinel parallel-syncs ${SENTINEL_NAME} 1`,
          'loglevel warning',
          '',
        ].join('\n'),
      );
      await launch([config, '--sentinel'], port);
      sentinelPorts.push(port);
    }
    await Promise.all(
      sentinelPorts.map((port) =>
        eventually(async () => {
          const [replicas, others] = await query(port, (redis) =>
            Promise.all([
              redis.call('SENTINEL', 'replicas', SENTINEL_NAME) as Promise<string[][]>,
              redis.call('SENTINEL', 'sentinels', SENTINEL_NAME) as Promise<string[][]>,
            ]),
          );
          const knowsReplica = replicas.some((fields) => {
            const replicaFields = fieldsOf(fields);
            return (
              replicaFields.port === String(replica.port) && !/down|disconnected/.test(replicaFields.flags)
            );
          });
          return knowsReplica && others.length === SENTINELS - 1;
        }, 20_000),
      ),
    );

    const primaryPortSeenBy = async (port: number): Promise<number> => {
      const address = (await query(port, (redis) =>
        redis.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_NAME),
      )) as [string, string];
      return Number(address[1]);
    };

    return {
      env: {
        REDIS_SENTINELS: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','),
        REDIS_SENTINEL_NAME: SENTINEL_NAME,
      },
      killPrimary: async () => {
        const killedAt = Date.now();
        await signalAndWait(primary.child, 'SIGKILL');
        // The proxy dies with the primary behind it: what it still held never reaches the replica.
        proxy?.close();
        await Promise.all(
          sentinelPorts.map((port) =>
            eventually(async () => (await primaryPortSeenBy(port)) === replica.port, 30_000),
          ),
        );
        return Date.now() - killedAt;
      },
      client: () => {
        const client = new Redis({
          sentinels: sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
          name: SENTINEL_NAME,
          failoverDetector: true,
        });
        // Refused connections while the sentinels still name a dead primary are expected: it retries.
        client.on('error', () => undefined);
        clients.push(client);
        return client;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** One command on a short-lived connection to a node or a sentinel (no retries: the caller polls). */
async function query<T>(port: number, run: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await run(redis);
  } finally {
    redis.disconnect();
  }
}

/** A SENTINEL reply's flat [name, value, name, value, ...] list as a record. */
function fieldsOf(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
  return fields;
}

interface LagProxy {
  readonly port: number;
  close(): void;
}

/**
 * A loopback TCP proxy in front of `target`. Every connection passes through as it is, except the one a
 * replica syncs on (its client sent PSYNC): what the primary sends there is held `lagMs` first. Closing
 * drops whatever is still held, as a dead primary's unsent stream is lost.
 */
async function startLagProxy(target: number, lagMs: number): Promise<LagProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((inbound) => {
    const outbound = new Socket();
    let replicating = false;
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.on('data', (chunk: Buffer) => {
      if (chunk.includes('PSYNC')) replicating = true;
      outbound.write(chunk);
    });
    outbound.on('data', (chunk: Buffer) => {
      if (!replicating) return void inbound.write(chunk);
      const timer = setTimeout(() => {
        timers.delete(timer);
        inbound.write(chunk);
      }, lagMs);
      timers.add(timer);
    });
    outbound.connect(target, '127.0.0.1');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    close: () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
