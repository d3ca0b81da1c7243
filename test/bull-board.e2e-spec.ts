import { CHROMIUM, chromiumInstalled, HeadlessPage } from './helpers/chromium';
import { eventually } from './helpers/eventually';
import { errorOf, startGateway, TestGateway } from './helpers/gateway';
import { QUEUE_CALLERS, writeCallersFile } from './helpers/callers';
import { startRedis, RedisServer } from './helpers/redis-server';

const ADMIN_KEY = 'ops-key-0000-0001';
const CALLER_KEY = 'assessor-key-0001';
const QUEUE_NAMES = ['bw-llm', 'bw-webhooks'];

const basic = (password: string, user = 'admin') =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const browserRuns = chromiumInstalled() || process.env.CI !== undefined;
if (!browserRuns) {
  process.stderr.write(
    `bull-board.e2e-spec: ${CHROMIUM} is missing, the browser test is skipped (apt-get install chromium; under CI it runs)\n`,
  );
}

describe('Bull Board at /admin/queues', () => {
  let redis: RedisServer;
  let gateway: TestGateway;

  beforeAll(async () => {
    redis = await startRedis();
    gateway = await startGateway({
      REDIS_URL: redis.url,
      CALLERS_FILE: writeCallersFile(QUEUE_CALLERS),
      RUN_WORKERS: 'false',
    });
  });
  afterAll(async () => {
    await gateway.close();
    await redis.stop();
  });

  const get = (path: string, authorization?: string) =>
    fetch(`${gateway.url}${path}`, { headers: authorization ? { authorization } : {} });

  it.each([
    ['no credentials', undefined],
    ['a non-admin key', basic(CALLER_KEY)],
    ['an unknown key', basic('not-a-key-0000-0001')],
    ['an admin key as a Bearer token', `Bearer ${ADMIN_KEY}`],
    ['an admin key as the user name', `Basic ${Buffer.from(`${ADMIN_KEY}:`).toString('base64')}`],
  ])('answers 401 with a Basic challenge to %s, on the page, its API and its assets', async (_name, auth) => {
    for (const path of [
      '/admin/queues',
      '/admin/queues/',
      '/admin/queues/api/queues',
      '/admin/queues/static/favicon-32x32.png',
    ]) {
      const response = await get(path, auth);
      expect({ path, status: response.status }).toEqual({ path, status: 401 });
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm="/);
      expect((await errorOf(response)).error.code).toBe('UNAUTHORIZED');
    }
  });

  it('serves the page and its API to an admin key as the Basic password, whatever the user name', async () => {
    const page = await get('/admin/queues', basic(ADMIN_KEY, 'anyone'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const api = await get('/admin/queues/api/queues', basic(ADMIN_KEY));
    expect(api.status).toBe(200);
    const { queues } = (await api.json()) as { queues: { name: string }[] };
    expect(queues.map((queue) => queue.name).sort()).toEqual(QUEUE_NAMES);
  });

  (browserRuns ? it : it.skip)(
    'renders the queue names in headless Chromium with an admin key, and not with a non-admin one',
    async () => {
      const page = await HeadlessPage.open();
      try {
        const rendersEveryName = (text: string) => QUEUE_NAMES.every((name) => text.includes(name));
        await page.navigate(`${gateway.url}/admin/queues`, { authorization: basic(ADMIN_KEY) });
        expect(rendersEveryName(await page.textWhen(rendersEveryName, 30_000))).toBe(true);

        expect(page.documents).toEqual([{ url: `${gateway.url}/admin/queues`, status: 200 }]);

        await page.navigate(`${gateway.url}/admin/queues`, { authorization: basic(CALLER_KEY) });
        await eventually(() => page.documents.length === 2, 10_000);
        expect(page.documents[1]).toEqual({ url: `${gateway.url}/admin/queues`, status: 401 });
        const refused = await page.text();
        for (const name of QUEUE_NAMES) expect(refused).not.toContain(name);
      } finally {
        await page.close();
      }
    },
    120_000,
  );
});
