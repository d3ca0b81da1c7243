import { createHmac } from 'node:crypto';
import { IncomingHttpHeaders, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '@breakwater/config';
import { HostResolver, ResolvedAddress } from '@breakwater/queue';
import { QUEUE_CALLERS, writeCallersFile } from './helpers/callers';
import { eventually } from './helpers/eventually';
import { TestGateway, errorOf, postJson, startGateway } from './helpers/gateway';
import { watchLiveness } from './helpers/liveness';

const ASSESSOR = { authorization: 'Bearer assessor-key-0001' };
const SECRET = 'assessor-webhook-secret-0001';
const PUBLIC_ADDRESS = '93.184.215.14';
const ask = (content: string) => ({ model: 'mock/echo', messages: [{ role: 'user', content }] });

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP server on 127.0.0.1 that records every request and answers as `answer` says. */
class Receiver {
  readonly received: Received[] = [];
  private readonly server: Server;

  constructor(private readonly answer: (count: number, res: ServerResponse) => void = (_, res) => res.end()) {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body });
        this.answer(this.received.length, res);
      });
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/**
 * A DNS server under an attacker's control, as the gateway sees it: a public address for the first
 * `publicAnswers` questions, 127.0.0.1 for every one after.
 */
class RebindingResolver extends HostResolver {
  calls = 0;

  constructor(private readonly publicAnswers: number) {
    super();
  }

  resolve(): Promise<ResolvedAddress[]> {
    this.calls++;
    return Promise.resolve([
      { address: this.calls <= this.publicAnswers ? PUBLIC_ADDRESS : '127.0.0.1', family: 4 },
    ]);
  }
}

/** An internal name, as an operator's DNS answers it. */
class LoopbackResolver extends HostResolver {
  resolve(): Promise<ResolvedAddress[]> {
    return Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
  }
}

describe('webhook targets cannot be turned inward (SSRF by DNS rebinding)', () => {
  let victim: Receiver;
  let internal: Receiver;
  let redirecting: Receiver;
  let gateway: TestGateway;

  beforeAll(async () => {
    victim = await new Receiver().start();
    internal = await new Receiver().start();
    redirecting = await new Receiver((count, res) => {
      if (count === 1) res.writeHead(307, { location: `http://127.0.0.1:${victim.port}/hook` }).end();
      else res.end();
    }).start();
    gateway = await startGateway({
      CALLERS_FILE: writeCallersFile(QUEUE_CALLERS),
      WEBHOOK_ALLOWED_HOSTS: [
        `*.rebind.test:${victim.port}`,
        `hooks.internal.test:${internal.port}`,
        `redirect.internal.test:${redirecting.port}`,
      ].join(','),
    });
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([victim.stop(), internal.stop(), redirecting.stop()]);
  });

  /** Every name the gateway resolves for webhooks is answered by `resolver` from now on. */
  const resolveWith = (resolver: HostResolver) =>
    jest.spyOn(gateway.app.get(HostResolver), 'resolve').mockImplementation((host) => resolver.resolve(host));
  const queueWithCallback = (url: string) =>
    postJson(`${gateway.url}/v1/chat/completions`, ask('call me back'), {
      ...ASSESSOR,
      'x-processing-mode': 'async',
      'x-callback-url': url,
    });

  it.each([
    [1, 'the delivery check'],
    [2, 'the connection'],
  ])(
    'sends nothing to 127.0.0.1 when the name answers public %i time(s) and loopback after (caught by %s)',
    async (publicAnswers) => {
      const resolver = new RebindingResolver(publicAnswers);
      resolveWith(resolver);
      const watch = watchLiveness(gateway.url);
      const queued = await queueWithCallback(`http://hooks.rebind.test:${victim.port}/hook`);
      expect(queued.status).toBe(202);
      // The request's check, the delivery's check and the connection each ask once; the loopback
      // answer must stop whichever sees it.
      await eventually(() => resolver.calls > publicAnswers, 10_000);
      await sleep(500);
      expect(await watch.stop()).toBeLessThan(1000);
      expect(victim.received).toHaveLength(0);
    },
  );

  it('delivers a signed webhook to a loopback host:port the allow-list names exactly', async () => {
    resolveWith(new LoopbackResolver());
    const queued = await queueWithCallback(`http://hooks.internal.test:${internal.port}/hook`);
    expect(queued.status).toBe(202);
    const { queue_id } = (await queued.json()) as { queue_id: string };
    const delivered = await eventually(() => internal.received[0], 10_000);
    const expected = createHmac('sha256', SECRET).update(delivered.body).digest('hex');
    expect(delivered.headers['x-breakwater-signature']).toBe(`sha256=${expected}`);
    expect(JSON.parse(delivered.body)).toMatchObject({ queue_id, status: 'completed' });
  });

  it('does not follow a redirect from the webhook target', async () => {
    resolveWith(new LoopbackResolver());
    const before = victim.received.length;
    const queued = await queueWithCallback(`http://redirect.internal.test:${redirecting.port}/hook`);
    expect(queued.status).toBe(202);
    // The 307 counts as a failed attempt; the retry is answered 200 and ends the delivery.
    await eventually(() => redirecting.received.length >= 2, 15_000);
    expect(victim.received).toHaveLength(before);
  });

  it('answers 400 at once for a port the allow-list does not name and for a name resolving inward', async () => {
    resolveWith(new RebindingResolver(0));
    for (const url of [
      `http://hooks.rebind.test:6379/hook`,
      `http://hooks.internal.test/hook`,
      `http://hooks.rebind.test:${victim.port}/hook`,
    ]) {
      const started = performance.now();
      const response = await queueWithCallback(url);
      expect(response.status).toBe(400);
      expect((await errorOf(response)).error.param).toBe('x-callback-url');
      expect(performance.now() - started).toBeLessThan(1000);
    }
    expect(victim.received).toHaveLength(0);
  });
});

describe('WEBHOOK_ALLOWED_HOSTS', () => {
  it('stops start-up with a ConfigError naming it for an entry whose port is not a port', async () => {
    const start = startGateway({ WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com:http' });
    await expect(start).rejects.toThrow(ConfigError);
    await expect(start).rejects.toThrow(/WEBHOOK_ALLOWED_HOSTS: "hooks.example.com:http"/);
  });
});
