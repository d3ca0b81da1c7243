import { randomUUID } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis } from 'ioredis';
import { Usage } from '@breakwater/accounting';
import { AppConfig } from '@breakwater/config';
import { Metrics } from '@breakwater/observability';
import {
  BudgetLedger,
  BudgetReservation,
  ConcurrencySlots,
  WindowLimiters,
  WindowSpec,
} from '@breakwater/rate-limit';
import { RedisConnections } from '@breakwater/redis';
import { testConfig } from '@breakwater/testing';
import { RedisCluster, startRedisCluster } from '../helpers/redis-cluster';
import { RedisServer, startRedis } from '../helpers/redis-server';

// Windows, concurrency slots, budgets and usage against a real three-master Redis Cluster, two "replicas"
// (two connections with their own classes) at once. A script may only touch one slot there: each store
// runs its script once per subject's slot, and the all-or-none ones give back what they took when a later
// subject refuses. Script calls are counted with INFO commandstats on every node.

/** EVAL and EVALSHA calls the servers at `ports` ran so far: one per script call a client made. */
async function scriptCalls(nodes: Redis[]): Promise<number> {
  let calls = 0;
  for (const node of nodes) {
    const stats = await node.info('commandstats');
    for (const match of stats.matchAll(/^cmdstat_(?:eval|evalsha):calls=(\d+)/gm)) calls += Number(match[1]);
  }
  return calls;
}

describe('limits and usage on a Redis Cluster', () => {
  let cluster: RedisCluster;
  let config: AppConfig;
  let probe: Cluster;
  let nodes: Redis[];
  let connections: RedisConnections[];
  /** The port of the master holding each slot. */
  const owner = new Map<number, number>();

  const connect = async (target: AppConfig = config): Promise<RedisConnections> => {
    const connection = new RedisConnections(target);
    await connection.onModuleInit();
    connections.push(connection);
    return connection;
  };
  const nodeOf = (key: string): number | undefined => owner.get(calculateSlot(key));
  const day = () => new Date().toISOString().slice(0, 10);
  const request = (callerId: string, tokens: number, endUser?: string, global?: boolean) => ({
    id: randomUUID(),
    callerId,
    ...(endUser ? { endUser } : {}),
    ...(global ? { global } : {}),
    day: day(),
    tokens,
    costUsd: 0,
  });
  const reserved = (outcome: Awaited<ReturnType<BudgetLedger['reserve']>>): BudgetReservation => {
    if (!('reservation' in outcome)) throw new Error(`refused: ${JSON.stringify(outcome)}`);
    return outcome.reservation;
  };
  /** Script calls made while `action` ran, over every node. */
  const counted = async (action: () => Promise<unknown>): Promise<number> => {
    const before = await scriptCalls(nodes);
    await action();
    return (await scriptCalls(nodes)) - before;
  };

  beforeAll(async () => {
    cluster = await startRedisCluster();
    config = testConfig(cluster.env);
    nodes = cluster.ports.map((port) => new Redis({ port, host: '127.0.0.1' }));
    probe = new Cluster([{ host: '127.0.0.1', port: cluster.ports[0] }]);
    for (const [from, to, master] of await nodes[0].cluster('SLOTS')) {
      for (let slot = from; slot <= to; slot++) owner.set(slot, master[1]);
    }
  }, 60_000);
  beforeEach(() => {
    connections = [];
  });
  afterEach(async () => {
    for (const connection of connections) await connection.onApplicationShutdown();
  });
  afterAll(async () => {
    probe?.disconnect();
    for (const node of nodes ?? []) node.disconnect();
    await cluster?.stop();
  });

  it('counts and refuses the windows of a caller, an end user and the gateway across replicas', async () => {
    const first = await connect();
    const second = await connect();
    expect(first.clustered).toBe(true);
    const specs: WindowSpec[] = [
      { scope: 'caller', window: 'minute', limit: 3, key: 'acme' },
      { scope: 'end_user', window: 'minute', limit: 1, key: 'acme:alice' },
      { scope: 'caller', window: 'hour', limit: 10, key: 'acme' },
      { scope: 'global', window: 'minute', limit: 2, key: 'all' },
    ];
    const keys = [
      'bw:win:{caller:acme}:minute',
      'bw:win:{end_user:acme:alice}:minute',
      'bw:win:{global:all}:minute',
    ];
    // Three subjects on at least two masters: one script over them all would be refused (CROSSSLOT).
    expect(new Set(keys.map(nodeOf)).size).toBeGreaterThan(1);

    const once = await new WindowLimiters(first).consume(specs);
    expect(once.map((state) => [state.refused, state.remaining])).toEqual([
      [false, 2],
      [false, 0],
      [false, 9],
      [false, 1],
    ]);
    const twice = await new WindowLimiters(second).consume(specs);
    expect(twice.map((state) => state.refused)).toEqual([false, true, false, false]);
    expect(await probe.get(keys[1])).toBe('2');

    await new WindowLimiters(second).refund(specs);
    const peeked = await new WindowLimiters(first).peek(specs);
    expect(peeked.map((state) => state.remaining)).toEqual([2, 0, 9, 1]);
    expect(await probe.get(keys[0])).toBe('1');
    // The global window, now counted by a third request from either replica, is full for the next.
    await new WindowLimiters(first).consume([specs[3]]);
    expect((await new WindowLimiters(second).consume([specs[3]]))[0].refused).toBe(true);
  });

  it('keeps no caller slot when the end user is full (all or none across slots)', async () => {
    const first = new ConcurrencySlots(await connect(), config);
    const second = new ConcurrencySlots(await connect(), config);
    const specs = [
      { subject: 'busy', limit: 5 },
      { subject: 'busy:alice', limit: 1 },
      { subject: '@all', limit: 10 },
    ];
    expect(calculateSlot('bw:conc:busy')).not.toBe(calculateSlot('bw:conc:busy:alice'));

    const held = await first.acquire(specs);
    if (!('held' in held)) throw new Error('the first request was refused');
    expect(await second.acquire(specs)).toEqual({ refused: { subject: 'busy:alice', limit: 1 } });
    // The refused request took the caller's slot, then gave it back; it never reached the gateway's.
    expect(await probe.zcard('bw:conc:busy')).toBe(1);
    expect(await probe.zcard('bw:conc:@all')).toBe(1);

    await first.release(held.held);
    expect(await probe.zcard('bw:conc:busy')).toBe(0);
    expect(await probe.zcard('bw:conc:busy:alice')).toBe(0);
    expect('held' in (await second.acquire(specs))).toBe(true);
  });

  it('refuses on the end user budget without reserving against the caller', async () => {
    const ledger = new BudgetLedger(await connect(), config);
    const both = [{ tokens: 100 }, { tokens: 10 }];
    reserved(await ledger.reserve(request('shared', 10, 'alice'), both));
    expect(await ledger.reserve(request('shared', 10, 'alice'), both)).toMatchObject({
      refused: { index: 1, refusal: { kind: 'tokens', spent: false } },
    });
    // As on one server: the caller holds only alice's first 10, so bob's 85 and carol's 5 fit and fill it.
    const others = [{ tokens: 100 }, { tokens: 100 }];
    reserved(await ledger.reserve(request('shared', 85, 'bob'), others));
    reserved(await ledger.reserve(request('shared', 5, 'carol'), others));
    expect(await ledger.reserve(request('shared', 1, 'dave'), others)).toMatchObject({
      refused: { index: 0 },
    });
    expect(await probe.hget(`bw:budget:h:${day()}:shared`, 'reserved_tokens')).toBe('100');
    expect(await probe.zcard(`{bw:budget:h:${day()}:shared}:r`)).toBe(3);
  });

  it('refuses on the gateway budget and leaves nothing reserved on the caller or its end user', async () => {
    const ledger = new BudgetLedger(await connect(), config);
    const budgets = [{ tokens: 100 }, { tokens: 100 }, { tokens: 40 }];
    const first = reserved(await ledger.reserve(request('gw', 45, 'eve', true), budgets));
    // 45 in flight fill the gateway's 40: the caller and its end users would fit, the gateway refuses.
    expect(await ledger.reserve(request('gw', 10, 'eve', true), budgets)).toMatchObject({
      refused: { index: 2 },
    });
    expect(await ledger.reserve(request('gw', 10, 'eve}{', true), budgets)).toMatchObject({
      refused: { index: 2 },
    });
    expect(await probe.hget(`bw:budget:h:${day()}:gw`, 'reserved_tokens')).toBe('45');
    expect(await probe.hget(`bw:budget:h:${day()}:gw:eve`, 'reserved_tokens')).toBe('45');
    expect(await probe.zcard(`{bw:budget:h:${day()}:gw}:r`)).toBe(1);
    // An end user with a `}` has its budget under another name, in one slot with its reservations.
    expect(await probe.hget(`bw:budget:hu:${day()}:gw%3Aeve%7D%7B`, 'reserved_tokens')).toBe('0');
    expect(await probe.zcard(`{bw:budget:hu:${day()}:gw%3Aeve%7D%7B}:r`)).toBe(0);

    await ledger.settle(first, { tokens: 0, costUsd: 0 });
    expect(await probe.hget(`bw:budget:h:${day()}:@all`, 'reserved_tokens')).toBe('0');
  });

  it('settles a reservation from another replica once, in every subject, however often it is delivered', async () => {
    const admitting = new BudgetLedger(await connect(), config);
    const settling = new BudgetLedger(await connect(), config);
    const budgets = [{ tokens: 30 }, { tokens: 30 }, { tokens: 1000 }];
    const reservation = reserved(await admitting.reserve(request('once', 100, 'ann', true), budgets));
    const copy = JSON.parse(JSON.stringify(reservation)) as BudgetReservation;
    await settling.settle(copy, { tokens: 18, costUsd: 0 });
    await settling.settle(copy, { tokens: 18, costUsd: 0 });
    await admitting.settle(reservation, { tokens: 18, costUsd: 0 });
    for (const subject of ['once', 'once:ann', '@all']) {
      expect(await probe.hmget(`bw:budget:h:${day()}:${subject}`, 'spent_tokens', 'reserved_tokens')).toEqual(
        ['18', '0'],
      );
    }
    reserved(await admitting.reserve(request('once', 12, 'ann', true), budgets));
    expect(await settling.reserve(request('once', 5, 'ann', true), budgets)).toMatchObject({
      refused: { index: 0, refusal: { kind: 'tokens', spent: false } },
    });
  });

  it('writes usage into the day and month hashes under their names, and reads it back', async () => {
    const usage = new Usage(await connect(), new Metrics());
    const caller = 'tally';
    const now = new Date();
    const dayKey = `bw:usage:d:${now.toISOString().slice(0, 10)}:${caller}`;
    const monthKey = `bw:usage:m:${now.toISOString().slice(0, 7)}:${caller}`;
    expect(calculateSlot(dayKey)).not.toBe(calculateSlot(monthKey));

    const entry = { tokensIn: 10, tokensOut: 5, costUsd: 0.25, cacheHit: false };
    await usage.record(caller, 'mock/echo', entry, now);
    await usage.record(caller, 'mock/echo', { ...entry, costUsd: 0, cacheHit: true }, now);
    expect([await probe.exists(dayKey), await probe.exists(monthKey)]).toEqual([1, 1]);
    const report = await usage.report(caller, now);
    for (const period of [report.day, report.month]) {
      expect(period).toMatchObject({
        requests: 2,
        cache_hits: 1,
        tokens_in: 20,
        tokens_out: 10,
        cost_usd: 0.25,
      });
    }
  });

  it('makes one script call per slot on a cluster and one per store on a single server', async () => {
    let single: RedisServer | undefined;
    let onServer: RedisConnections | undefined;
    try {
      single = await startRedis();
      const calls = async (
        connection: RedisConnections,
        count: (action: () => Promise<unknown>) => Promise<number>,
      ) => {
        const windows = new WindowLimiters(connection);
        const slots = new ConcurrencySlots(connection, config);
        const ledger = new BudgetLedger(connection, config);
        const usage = new Usage(connection, new Metrics());
        const specs: WindowSpec[] = [
          { scope: 'caller', window: 'minute', limit: 100, key: 'rt' },
          { scope: 'caller', window: 'hour', limit: 100, key: 'rt' },
          { scope: 'end_user', window: 'minute', limit: 100, key: 'rt:bo' },
          { scope: 'global', window: 'minute', limit: 100, key: 'all' },
        ];
        const slotSpecs = [
          { subject: 'rt', limit: 100 },
          { subject: 'rt:bo', limit: 100 },
          { subject: '@all', limit: 100 },
        ];
        const budgets = [{ tokens: 1e6 }, { tokens: 1e6 }, { tokens: 1e6 }];
        const entry = { tokensIn: 1, tokensOut: 1, costUsd: 0, cacheHit: false };
        const run = {
          consume: () => windows.consume(specs),
          refund: () => windows.refund(specs),
          peek: () => windows.peek(specs),
          acquire: () => slots.acquire(slotSpecs),
          reserve: async () => reserved(await ledger.reserve(request('rt', 1, 'bo', true), budgets)),
          settle: async () =>
            ledger.settle(reserved(await ledger.reserve(request('rt', 1, 'bo', true), budgets)), {
              tokens: 1,
              costUsd: 0,
            }),
          record: () => usage.record('rt', 'mock/echo', entry),
        };
        const measured: Record<string, number> = {};
        for (const [name, action] of Object.entries(run)) {
          await action(); // the first call of a script on a node loads it (EVALSHA refused, then EVAL)
          measured[name] = await count(action);
        }
        // settle() was measured with its reserve(): give that back.
        measured.settle -= measured.reserve;
        return measured;
      };
      const singleConfig = testConfig({ REDIS_URL: single.url });
      const singleNode = new Redis(single.port, '127.0.0.1');
      onServer = new RedisConnections(singleConfig);
      await onServer.onModuleInit();
      const onSingle = await calls(onServer, async (action) => {
        const before = await scriptCalls([singleNode]);
        await action();
        return (await scriptCalls([singleNode])) - before;
      });
      singleNode.disconnect();
      const onCluster = await calls(await connect(), counted);
      expect(onSingle).toEqual({
        consume: 1,
        refund: 1,
        peek: 1,
        acquire: 1,
        reserve: 1,
        settle: 1,
        record: 1,
      });
      // Caller, end user and gateway are three slots (usage: the day's and the month's hash, two).
      expect(onCluster).toEqual({
        consume: 3,
        refund: 3,
        peek: 3,
        acquire: 3,
        reserve: 3,
        settle: 3,
        record: 2,
      });
    } finally {
      // Closed before its server stops, so that it does not wait for a stream that never closes.
      await onServer?.onApplicationShutdown();
      await single?.stop();
    }
  });
});
