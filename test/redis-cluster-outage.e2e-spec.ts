import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { AcceptedBody } from '@breakwater/contracts';
import { RedisConnections } from '@breakwater/redis';
import { eventually } from './helpers/eventually';
import { TestGateway, postJson, startGateway } from './helpers/gateway';
import { RedisCluster, startRedisCluster } from './helpers/redis-cluster';

// A Redis Cluster that loses one of its three primaries (no replica to take over): once the others mark it
// failed, every slot answers CLUSTERDOWN. That is an outage, not a refused command: the gateway answers as
// in embedded mode (first-tier cache, limits in memory, local queue), never a 500, and it does not wait out
// ioredis's redirections on every command: the first failure turns the process to embedded mode, and it
// asks the cluster every second whether it serves again.

describe('a Redis Cluster that loses a primary', () => {
  let cluster: RedisCluster;
  let gateway: TestGateway;

  const ask = (content: string, headers: Record<string, string> = {}) =>
    postJson(
      `${gateway.url}/v1/chat/completions`,
      { model: 'mock/echo', messages: [{ role: 'user', content }] },
      { authorization: 'Bearer dev-key', 'x-end-user': 'student-7', ...headers },
    );
  const clusterState = (port: number): string =>
    /cluster_state:(\w+)/.exec(
      execFileSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' }),
    )?.[1] ?? 'unknown';

  beforeAll(async () => {
    cluster = await startRedisCluster();
    gateway = await startGateway({ ...cluster.env, MOCK_LATENCY_MS: '0' });
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
    await cluster?.stop();
  });

  it('keeps answering 200 and accepting queued work in embedded mode, and shares again once the primary is back', async () => {
    expect((await ask(`before ${randomUUID()}`)).status).toBe(200);

    await cluster.killNode(1);
    await eventually(() => clusterState(cluster.ports[0]) === 'fail', 15_000);

    for (let i = 0; i < 5; i++) {
      const response = await ask(`during ${i} ${randomUUID()}`);
      if (response.status !== 200)
        console.log(JSON.stringify(gateway.logs.filter((l) => l.msg === 'unhandled error').slice(-1)));
      expect(response.status).toBe(200);
    }
    const queued = await ask(`queued ${randomUUID()}`, { 'x-processing-mode': 'async' });
    expect(queued.status).toBe(202);
    const accepted = (await queued.json()) as AcceptedBody;
    // The cluster serves no slot: the job waits in this process's local queue.
    expect(accepted.durable).toBe(false);
    await eventually(async () => {
      const result = await fetch(`${gateway.url}/v1/results/${accepted.queue_id}`, {
        headers: { authorization: 'Bearer dev-key' },
      });
      return result.status === 200;
    }, 20_000);

    const failures = gateway.logs.filter((line) => line.msg === 'unhandled error' || line.status === 500);
    expect(failures).toEqual([]);
    expect(
      gateway.logs.filter((line) => line.msg === 'Redis connection lost: embedded mode until it returns'),
    ).toHaveLength(1);

    // The primary is back: the gateway finds the cluster serving again and shares its state once more.
    await cluster.restartNode(1);
    const connections = gateway.app.get(RedisConnections);
    await eventually(() => connections.available, 15_000);
    const again = await ask(`after ${randomUUID()}`, { 'x-processing-mode': 'async' });
    expect(((await again.json()) as AcceptedBody).durable).toBe(true);
  }, 90_000);
});
