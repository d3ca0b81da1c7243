import { randomUUID } from 'node:crypto';
import { AppConfig } from '@breakwater/config';
import { BudgetLedger, BudgetReservation, ConcurrencySlots } from '@breakwater/rate-limit';
import { RedisConnections } from '@breakwater/redis';
import { testConfig } from '@breakwater/testing';
import { RedisServer, startRedis } from '../helpers/redis-server';

// The Redis scripts of budgets and concurrency against a real redis-server, two "processes" (two
// connections with their own ledgers) at once: what a crashed or repeating replica leaves behind.

describe('budget ledger and concurrency slots in Redis', () => {
  let redis: RedisServer;
  let config: AppConfig;
  let connections: RedisConnections[];

  const connect = async (): Promise<RedisConnections> => {
    const connection = new RedisConnections(config);
    await connection.onModuleInit();
    connections.push(connection);
    return connection;
  };
  const request = (callerId: string, tokens: number, endUser?: string) => ({
    id: randomUUID(),
    callerId,
    ...(endUser ? { endUser } : {}),
    day: new Date().toISOString().slice(0, 10),
    tokens,
    costUsd: 0,
  });
  const reserved = (outcome: Awaited<ReturnType<BudgetLedger['reserve']>>): BudgetReservation => {
    if (!('reservation' in outcome)) throw new Error(`refused: ${JSON.stringify(outcome)}`);
    return outcome.reservation;
  };

  beforeAll(async () => {
    redis = await startRedis();
    config = testConfig({ REDIS_URL: redis.url });
  });
  beforeEach(() => {
    connections = [];
  });
  afterEach(async () => {
    for (const connection of connections) await connection.onApplicationShutdown();
  });
  afterAll(() => redis?.stop());

  it('settles a reservation from another process, and only once however often it is delivered', async () => {
    const admitting = new BudgetLedger(await connect(), config);
    const settling = new BudgetLedger(await connect(), config);
    const budget = [{ tokens: 30 }];
    const reservation = reserved(await admitting.reserve(request('once', 100), budget));
    expect(reservation.store).toBe('redis');
    const copy = JSON.parse(JSON.stringify(reservation)) as BudgetReservation;
    await settling.settle(copy, { tokens: 18, costUsd: 0 });
    await settling.settle(copy, { tokens: 18, costUsd: 0 });
    await admitting.settle(reservation, { tokens: 18, costUsd: 0 });
    // 18 spent (not 54): one more call fits (18 < 30), and its 12 in flight then fill the budget.
    reserved(await admitting.reserve(request('once', 12), budget));
    expect(await settling.reserve(request('once', 5), budget)).toMatchObject({
      refused: { index: 0, refusal: { kind: 'tokens', spent: false } },
    });
  });

  it('frees the reservation of a process that died once its lease ends', async () => {
    const ledger = new BudgetLedger(await connect(), config);
    const now = Date.now();
    reserved(await ledger.reserve(request('crashed', 40), [{ tokens: 30 }], now));
    expect('refused' in (await ledger.reserve(request('crashed', 1), [{ tokens: 30 }], now + 1000))).toBe(
      true,
    );
    // Past QUEUE_REQUEST_TTL_SECONDS + REQUEST_TIMEOUT_SECONDS + margin, nobody will settle it.
    const later = now + (14_400 + 20 + 600) * 1000 + 1;
    reserved(await ledger.reserve(request('crashed', 1), [{ tokens: 30 }], later));
  });

  it('refuses on the end user budget without reserving against the caller', async () => {
    const ledger = new BudgetLedger(await connect(), config);
    const both = [{ tokens: 100 }, { tokens: 10 }];
    reserved(await ledger.reserve(request('shared', 10, 'alice'), both));
    expect(await ledger.reserve(request('shared', 10, 'alice'), both)).toMatchObject({
      refused: { index: 1 },
    });
    // The caller holds only alice's first 10 (95 with bob's 85 < 100, so carol fits and then fills it); had the refused
    // request reserved against the caller too, it would hold 105 and refuse carol.
    const others = [{ tokens: 100 }, { tokens: 100 }];
    reserved(await ledger.reserve(request('shared', 85, 'bob'), others));
    reserved(await ledger.reserve(request('shared', 5, 'carol'), others));
    expect(await ledger.reserve(request('shared', 1, 'dave'), others)).toMatchObject({
      refused: { index: 0 },
    });
  });

  it('gives concurrency slots of a dead holder back when their lease ends, never twice', async () => {
    const first = new ConcurrencySlots(await connect(), config);
    const second = new ConcurrencySlots(await connect(), config);
    const spec = [{ subject: 'slots', limit: 1 }];
    const now = Date.now();
    const held = await first.acquire(spec, now);
    expect('held' in held && held.held.store).toBe('redis');
    expect(await second.acquire(spec, now + 10)).toMatchObject({ refused: { subject: 'slots' } });
    // REQUEST_TIMEOUT_SECONDS x 2 + 30 s later the holder is presumed dead.
    const later = now + (20_000 * 2 + 30_000) + 1;
    const taken = await second.acquire(spec, later);
    expect('held' in taken).toBe(true);
    if ('held' in held) await first.release(held.held);
    expect(await second.acquire(spec, later + 1)).toMatchObject({ refused: { subject: 'slots' } });
  });
});
