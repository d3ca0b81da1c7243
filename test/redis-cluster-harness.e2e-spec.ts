import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { RedisCluster, startRedisCluster } from './helpers/redis-cluster';
import { startRedis } from './helpers/redis-server';

// The harness the cluster project stands on: three real masters that share the slots, a client()
// that follows them, and a stop() that leaves nothing listening.

/** Whether something accepts TCP connections on 127.0.0.1:port right now. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Runs `use` with a plain connection to one node, asking it alone (no redirection). */
async function onNode<T>(port: number, use: (node: Redis) => Promise<T>): Promise<T> {
  const node = new Redis(port, '127.0.0.1');
  try {
    return await use(node);
  } finally {
    await node.quit();
  }
}

const info = (port: number) => onNode(port, (node) => node.cluster('INFO'));
const field = (text: string, name: string) => new RegExp(`^${name}:(.*?)\\r?$`, 'm').exec(text)?.[1];

describe('a three-master Redis Cluster for the tests', () => {
  let cluster: RedisCluster;

  beforeAll(async () => {
    cluster = await startRedisCluster({ fsyncAlways: true });
  });
  afterAll(() => cluster?.stop());

  it('points the gateway at all three masters through REDIS_CLUSTER_NODES', () => {
    expect(cluster.kind).toBe('cluster');
    expect(cluster.ports).toHaveLength(3);
    expect(new Set(cluster.ports).size).toBe(3);
    expect(cluster.env).toEqual({
      REDIS_CLUSTER_NODES: cluster.ports.map((port) => `127.0.0.1:${port}`).join(','),
    });
    expect(cluster.url).toBe(`redis://127.0.0.1:${cluster.ports[0]}`);
  });

  it('has every node see the cluster ok, with three known masters sharing all 16384 slots', async () => {
    for (const port of cluster.ports) {
      const text = await info(port);
      expect([port, field(text, 'cluster_state')]).toEqual([port, 'ok']);
      expect([port, field(text, 'cluster_slots_assigned')]).toEqual([port, '16384']);
      expect([port, field(text, 'cluster_known_nodes')]).toEqual([port, '3']);
      expect([port, field(text, 'cluster_size')]).toEqual([port, '3']);
      const nodes = String(await onNode(port, (node) => node.cluster('NODES')));
      expect(
        nodes
          .trim()
          .split('\n')
          .filter((line) => line.split(' ')[2].includes('master')),
      ).toHaveLength(3);
    }
  });

  it('writes keys of different slots through client(), reads them back, and keeps each on the node owning its slot', async () => {
    const client = cluster.client();
    try {
      const keys = Array.from({ length: 12 }, (_, i) => `harness-key-${i}`);
      for (const key of keys) await client.set(key, `value of ${key}`);
      for (const key of keys) expect(await client.get(key)).toBe(`value of ${key}`);

      const ranges = await onNode(cluster.ports[0], (node) => node.cluster('SLOTS'));
      const ownerOf = (slot: number) => ranges.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
      const owners = new Set<number>();
      for (const key of keys) {
        const slot = await onNode(cluster.ports[0], (node) => node.cluster('KEYSLOT', key));
        const owner = ownerOf(slot);
        expect(cluster.ports).toContain(owner);
        owners.add(owner as number);
        for (const port of cluster.ports) {
          const held = await onNode(port, (node) => node.cluster('COUNTKEYSINSLOT', slot));
          expect([key, port, held]).toEqual([key, port, port === owner ? 1 : 0]);
        }
        expect(await onNode(owner as number, (node) => node.get(key))).toBe(`value of ${key}`);
      }
      expect(owners.size).toBe(3);
    } finally {
      await client.quit();
    }
  });

  it('comes back after kill() with its data once restart() returns', async () => {
    const client = cluster.client();
    await client.set('harness-survivor', 'still here');
    await client.quit();
    await cluster.kill();
    for (const port of cluster.ports) expect([port, await listening(port)]).toEqual([port, false]);

    await cluster.restart();
    for (const port of cluster.ports) expect(field(await info(port), 'cluster_state')).toBe('ok');
    const again = cluster.client();
    try {
      expect(await again.get('harness-survivor')).toBe('still here');
    } finally {
      await again.quit();
    }
  });

  it('closes every port on stop()', async () => {
    for (const port of cluster.ports) expect([port, await listening(port)]).toEqual([port, true]);
    await cluster.stop();
    for (const port of cluster.ports) expect([port, await listening(port)]).toEqual([port, false]);
  });
});

describe('startRedis() in either mode', () => {
  const mode = process.env.BREAKWATER_TEST_REDIS;
  afterEach(() => {
    if (mode === undefined) delete process.env.BREAKWATER_TEST_REDIS;
    else process.env.BREAKWATER_TEST_REDIS = mode;
  });

  it('starts a single server pointed at by REDIS_URL unless BREAKWATER_TEST_REDIS is cluster', async () => {
    delete process.env.BREAKWATER_TEST_REDIS;
    const redis = await startRedis();
    try {
      expect(redis.kind).toBe('single');
      expect(redis.env).toEqual({ REDIS_URL: `redis://127.0.0.1:${redis.port}` });
      const client = redis.client();
      expect(await client.ping()).toBe('PONG');
      expect(client).toBeInstanceOf(Redis);
      await client.quit();
    } finally {
      await redis.stop();
    }
  });

  it('starts a cluster pointed at by REDIS_CLUSTER_NODES when BREAKWATER_TEST_REDIS is cluster', async () => {
    process.env.BREAKWATER_TEST_REDIS = 'cluster';
    const redis = await startRedis();
    try {
      expect(redis.kind).toBe('cluster');
      expect(Object.keys(redis.env)).toEqual(['REDIS_CLUSTER_NODES']);
      const client = redis.client();
      await client.set('through-start-redis', 'yes');
      expect(await client.get('through-start-redis')).toBe('yes');
      await client.quit();
    } finally {
      await redis.stop();
    }
  });
});
