import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { AppConfig, loadConfig } from '@breakwater/config';
import { WindowLimiters, WindowSpec } from '@breakwater/rate-limit';
import { RedisConnections, defineScripts, redisOptionsOf } from '@breakwater/redis';
import { RedisServer, startRedis } from '../helpers/redis-server';

// The Lua loader and the window limiters against a real redis-server. Round trips are counted with
// MONITOR: a command a script runs shows there with the source `lua`, one a client sends with its address.

interface Seen {
  args: string[];
  source: string;
}

describe('Lua scripts and window limits in Redis', () => {
  let redis: RedisServer;
  let config: AppConfig;
  let connections: RedisConnections;
  let monitored: Redis;
  let monitor: Awaited<ReturnType<Redis['monitor']>>;
  let probe: Redis;
  const seen: Seen[] = [];

  /** Waits until MONITOR has shown everything sent so far (it lags the replies). */
  const caughtUp = async (): Promise<void> => {
    const marker = `marker-${Math.random()}`;
    await probe.echo(marker);
    const deadline = Date.now() + 5000;
    while (!seen.some((command) => command.args[1] === marker)) {
      if (Date.now() > deadline) throw new Error('MONITOR did not show the marker within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  /** The commands clients sent to Redis while `action` ran: a script call is one, whatever it runs. */
  const sentBy = async (action: () => Promise<unknown>): Promise<string[]> => {
    await caughtUp();
    seen.length = 0;
    await action();
    await caughtUp();
    return seen
      .filter((command) => command.source !== 'lua' && command.args[0] !== 'echo')
      .map((command) => command.args[0]);
  };
  /** One round trip: EVAL the first time a connection runs a script, EVALSHA after. */
  const oneScriptCall = expect.arrayContaining([expect.stringMatching(/^eval(sha)?$/)]);
  const spec = (window: WindowSpec['window'], limit: number, key = 'alice'): WindowSpec => ({
    scope: 'caller',
    window,
    limit,
    key,
  });

  beforeAll(async () => {
    redis = await startRedis();
    config = loadConfig({ NODE_ENV: 'test', REDIS_URL: redis.url });
    connections = new RedisConnections(config);
    await connections.onModuleInit();
    probe = new Redis(redisOptionsOf(redis.url));
    monitored = new Redis(redisOptionsOf(redis.url));
    monitor = await monitored.monitor();
    monitor.on('monitor', (_time: string, args: string[], source: string) => seen.push({ args, source }));
  });
  afterAll(async () => {
    monitor?.disconnect();
    monitored?.disconnect();
    probe?.disconnect();
    await connections?.onApplicationShutdown();
    await redis?.stop();
  });

  it('counts every window of a request in one round trip, in its own keys that expire with the window', async () => {
    const windows = new WindowLimiters(connections);
    const specs = [spec('minute', 2), spec('hour', 5), spec('day', 9)];
    await windows.consume(specs);

    const sent = await sentBy(() => windows.consume(specs));
    expect(sent).toEqual(['evalsha']);

    const keys = (await probe.keys('*')).sort();
    expect(keys).toEqual([
      'bw:win:{caller:alice}:day',
      'bw:win:{caller:alice}:hour',
      'bw:win:{caller:alice}:minute',
    ]);
    expect(await probe.get('bw:win:{caller:alice}:minute')).toBe('2');
    const ttl = await probe.pttl('bw:win:{caller:alice}:hour');
    expect(ttl).toBeGreaterThan(3_590_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
  });

  it('refuses past the limit, gives a request back, and peeks in one round trip each', async () => {
    const windows = new WindowLimiters(connections);
    const specs = [spec('minute', 2, 'bob'), spec('hour', 10, 'bob')];
    await windows.consume(specs);
    await windows.consume(specs);
    const third = await windows.consume(specs);
    expect(third.map((state) => [state.refused, state.remaining])).toEqual([
      [true, 0],
      [false, 7],
    ]);

    const refunded = await sentBy(() => windows.refund(specs));
    expect(refunded).toHaveLength(1);
    expect(refunded).toEqual(oneScriptCall);
    let peeked: Awaited<ReturnType<WindowLimiters['peek']>> = [];
    const sent = await sentBy(async () => (peeked = await windows.peek(specs)));
    expect(sent).toHaveLength(1);
    expect(sent).toEqual(oneScriptCall);
    expect(peeked.map((state) => [state.refused, state.remaining])).toEqual([
      [false, 0],
      [false, 8],
    ]);
    expect(peeked[0].resetMs).toBeGreaterThan(55_000);

    // A window nobody counted in yet is whole, and peeking it writes nothing.
    expect(await windows.peek([spec('minute', 3, 'carol')])).toEqual([
      { scope: 'caller', window: 'minute', limit: 3, remaining: 3, resetMs: 60_000, refused: false },
    ]);
    expect(await probe.exists('bw:win:{caller:carol}:minute')).toBe(0);
  });

  it('never takes a window below zero when giving back after it ended', async () => {
    const windows = new WindowLimiters(connections);
    await windows.refund([spec('minute', 2, 'dave')]);
    expect(await probe.exists('bw:win:{caller:dave}:minute')).toBe(0);
  });

  it('runs a script sent once per connection by its hash, and defines a folder once per connection', async () => {
    const client = new Redis(redisOptionsOf(redis.url));
    const dir = mkdtempSync(join(tmpdir(), 'breakwater-lua-'));
    try {
      writeFileSync(join(dir, 'echoKey.lua'), 'return KEYS[1] .. ARGV[1]\n');
      type Echo = { echoKey(...args: (string | number)[]): Promise<string> };
      await client.ping();
      const first = await sentBy(() => defineScripts<Echo>(client, dir).echoKey(1, 'k', '!'));
      const second = await sentBy(() => defineScripts<Echo>(client, dir).echoKey(1, 'k', '?'));
      expect(first).toEqual(['eval']);
      expect(second).toEqual(['evalsha']);
      expect(await defineScripts<Echo>(client, dir).echoKey(1, 'a', 'b')).toBe('ab');

      // A script flush (or a Redis restart) is healed by resending the source.
      await probe.script('FLUSH');
      expect(await defineScripts<Echo>(client, dir).echoKey(1, 'c', 'd')).toBe('cd');

      writeFileSync(join(dir, 'get.lua'), 'return 1\n');
      expect(() =>
        defineScripts(new Redis({ ...redisOptionsOf(redis.url), lazyConnect: true }), dir),
      ).toThrow(/get\.lua .* would replace a client method/);
    } finally {
      client.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ships no two scripts of the same name: a build copies every lib's lua/ into one folder", () => {
    const libs = join(__dirname, '../../libs');
    const names = readdirSync(libs).flatMap((lib) => {
      const dir = join(libs, lib, 'src', 'lua');
      const list = (sub: string): string[] => {
        try {
          return readdirSync(join(dir, sub))
            .filter((file) => file.endsWith('.lua'))
            .map((file) => sub + file);
        } catch {
          return [];
        }
      };
      return [...list(''), ...list('includes/')];
    });
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });
});
