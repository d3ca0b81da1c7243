import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { writeCallersFile } from './helpers/callers';
import { eventually } from './helpers/eventually';
import { freePort } from './helpers/free-port';
import { errorOf } from './helpers/gateway';
import { RunningProcess, startProcess, waitForHttp } from './helpers/process';
import { PrometheusServer, Sample, startPrometheus } from './helpers/prometheus';
import { RedisServer, startRedis } from './helpers/redis-server';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';

// A real Prometheus scrapes a real API-only gateway and a real worker (the built apps, one Redis, an
// OpenAI-wire stub) under traffic that exercises every panel, then every query of
// deploy/grafana/breakwater.json is evaluated over Prometheus' HTTP API: none may error or come back empty.

const DASHBOARD = join(__dirname, '../deploy/grafana/breakwater.json');
const ALERTS = join(__dirname, '../deploy/prometheus/alerts.yml');
const SCALED_OBJECT = join(__dirname, '../deploy/k8s/base/worker-scaledobject.yaml');

/**
 * Queries on metrics that other work adds (streaming, global budgets). Each may be empty only while its
 * metric is absent from both processes' /metrics (no `# TYPE` line); once the metric exists, its query
 * is held to the same rule as every other.
 */
const AWAITING_METRIC: Record<string, string> = {
  'Time to first token p95 (streams)/A': 'llm_time_to_first_token_seconds',
  'Stream chunks/A': 'llm_stream_chunks_total',
  'Budgets spent today (USD)/A': 'budget_spent_usd',
  'Budgets spent today (USD)/B': 'budget_limit_usd',
};

/** Grafana's own variables, as Grafana would fill them for a short range scraped every second. */
const GRAFANA_VARIABLES: Record<string, string> = { $__rate_interval: '1m' };

interface Panel {
  type: string;
  title: string;
  targets?: { refId: string; expr: string }[];
}

function dashboardQueries(): { id: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      id: `${panel.title}/${target.refId}`,
      expr: Object.entries(GRAFANA_VARIABLES).reduce(
        (expr, [name, value]) => expr.split(name).join(value),
        target.expr,
      ),
    })),
  );
}

const CALLERS = [
  { id: 'cached', key: 'cached-key-0000-0001' },
  { id: 'limited', key: 'limited-key-000-0001', limits: { per_minute: 1 } },
  // gpt-4o-mini at 10 + 10 tokens (the stub's usage) costs $0.0000075 a call: a call is admitted while
  // the day's spend is under the budget, so the third is refused.
  { id: 'budgeted', key: 'budgeted-key-00-0001', limits: { cost_usd_per_day: 0.00001 } },
];

describe('the Grafana dashboard against a real Prometheus', () => {
  let redis: RedisServer;
  let stub: OpenAiStub;
  let gateway: RunningProcess;
  let worker: RunningProcess;
  let prometheus: PrometheusServer;
  let gatewayUrl: string;
  let workerUrl: string;

  beforeAll(async () => {
    [redis, stub] = await Promise.all([startRedis(), startOpenAiStub()]);
    const [gatewayPort, workerPort] = await Promise.all([freePort(), freePort()]);
    const env = {
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      CALLERS_FILE: writeCallersFile(CALLERS),
      OPENAI_API_KEY: 'sk-dashboard-test',
      OPENAI_BASE_URL: stub.baseUrl,
      RETRY_MAX_ATTEMPTS: '1',
      LOG_LEVEL: 'warn',
    };
    gateway = startProcess('gateway', { ...env, PORT: String(gatewayPort), RUN_WORKERS: 'false' });
    worker = startProcess('worker', { ...env, WORKER_PORT: String(workerPort) });
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    workerUrl = `http://127.0.0.1:${workerPort}`;
    [prometheus] = await Promise.all([
      startPrometheus(
        { 'breakwater-gateway': `127.0.0.1:${gatewayPort}`, 'breakwater-worker': `127.0.0.1:${workerPort}` },
        [ALERTS],
      ),
      waitForHttp(`${gatewayUrl}/health/ready`),
      waitForHttp(`${workerUrl}/health/ready`),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([prometheus?.stop(), gateway?.stop(), worker?.stop()]);
    await Promise.all([stub?.stop(), redis?.stop()]);
  }, 60_000);

  const chat = (key: string, content: string, options: Record<string, unknown> = {}, headers = {}) =>
    fetch(`${gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
      body: JSON.stringify({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content }],
        ...options,
      }),
    });

  async function traffic(): Promise<void> {
    const [cached, limited, budgeted] = CALLERS.map((caller) => caller.key);
    // A miss, then a hit of the same request.
    expect((await chat(cached, 'the same question')).status).toBe(200);
    expect((await chat(cached, 'the same question')).status).toBe(200);
    // One request a minute: the second is refused by the caller's window.
    expect((await chat(limited, 'first')).status).toBe(200);
    const refused = await chat(limited, 'second');
    expect(refused.status).toBe(429);
    expect((await errorOf(refused)).error.code).toBe('RATE_LIMITED');
    // A USD day budget of two calls.
    expect((await chat(budgeted, 'spend')).status).toBe(200);
    expect((await chat(budgeted, 'spend again')).status).toBe(200);
    const overBudget = await chat(budgeted, 'spend more');
    expect(overBudget.status).toBe(429);
    expect((await errorOf(overBudget)).error.code).toBe('BUDGET_EXCEEDED');
    // A queued job, answered by the worker.
    const accepted = await chat(cached, 'for later', {}, { 'x-processing-mode': 'async' });
    expect(accepted.status).toBe(202);
    const { status_url } = (await accepted.json()) as { status_url: string };
    await eventually(async () => {
      const status = await fetch(`${gatewayUrl}${status_url}`, {
        headers: { authorization: `Bearer ${cached}` },
      });
      return ((await status.json()) as { status: string }).status === 'completed' || undefined;
    });
    // A streamed request, read to its end (what it answers is the streaming suites' business).
    await (await chat(cached, 'a stream', { stream: true })).text();
  }

  async function metricFamilies(): Promise<Set<string>> {
    const texts = await Promise.all(
      [gatewayUrl, workerUrl].map(async (url) => (await fetch(`${url}/metrics`)).text()),
    );
    return new Set(
      texts
        .join('\n')
        .match(/^# TYPE \S+/gm)
        ?.map((line) => line.slice('# TYPE '.length)),
    );
  }

  it('answers every panel query with data, and loads and evaluates every alert rule', async () => {
    await traffic();
    const present = await metricFamilies();
    const queries = dashboardQueries();
    for (const id of Object.keys(AWAITING_METRIC)) expect(queries.map((query) => query.id)).toContain(id);
    const mayBeEmpty = new Set(
      Object.entries(AWAITING_METRIC)
        .filter(([, metric]) => !present.has(metric))
        .map(([id]) => id),
    );

    // Until each has data: the queue gauges refresh every 5 s and Prometheus scrapes every second.
    let results: { id: string; expr: string; samples: Sample[] }[] = [];
    const empty = () => results.filter((result) => result.samples.length === 0 && !mayBeEmpty.has(result.id));
    await eventually(async () => {
      results = await Promise.all(
        queries.map(async (query) => ({ ...query, samples: await prometheus.query(query.expr) })),
      );
      return empty().length === 0 || undefined;
    }, 30_000).catch(() => {
      throw new Error(
        `panel queries with no data:\n${empty()
          .map((result) => `${result.id}: ${result.expr}`)
          .join('\n')}`,
      );
    });
    expect(queries.length).toBeGreaterThanOrEqual(20);

    // The traffic is what the panels show, not zeros.
    const value = (expr: string) => prometheus.query(expr).then((samples) => Number(samples[0]?.value[1]));
    expect(await value('sum(cache_requests_total{result="hit"})')).toBeGreaterThanOrEqual(1);
    expect(await value('sum(rate_limit_rejections_total{scope="caller"})')).toBe(1);
    expect(await value('sum(rate_limit_rejections_total{scope="budget"})')).toBe(1);
    expect(await value('sum(queue_jobs_total{outcome="completed"})')).toBe(1);
    expect(await value('sum(llm_cost_usd_total)')).toBeGreaterThan(0);
    expect(await value('min(redis_connected)')).toBe(1);

    // KEDA's query, as the workers' ScaledObject sends it: one number, the jobs no worker has taken (none now).
    const { spec } = parse(readFileSync(SCALED_OBJECT, 'utf8')) as {
      spec: { triggers: { metadata: { query: string } }[] };
    };
    const backlog = await prometheus.query(spec.triggers[0].metadata.query);
    expect(backlog.map((sample) => sample.value[1])).toEqual(['0']);

    const { groups } = await prometheus.api<{
      groups: { rules: { name: string; health: string; lastError?: string }[] }[];
    }>('/api/v1/rules');
    const rules = groups.flatMap((group) => group.rules);
    expect(rules.length).toBe(8);
    expect(rules.filter((rule) => rule.health !== 'ok')).toEqual([]);
  }, 90_000);
});
