import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Metrics } from '@breakwater/observability';
import { assertInstalled } from './helpers/prometheus';

// The alert rules through Prometheus' own tool: syntax (check rules), behaviour (the unit tests of
// alerts.test.yml), and that every metric they read is one the app exports.

const PROMETHEUS_DIR = join(__dirname, '../deploy/prometheus');
const DASHBOARD = join(__dirname, '../deploy/grafana/breakwater.json');
const OPERATIONS = join(__dirname, '../docs/operations.md');

/** Metrics other work adds (streaming, global budgets): they may be read before this app exports them. */
const AWAITED_METRICS = [
  'llm_time_to_first_token_seconds',
  'llm_stream_chunks_total',
  'budget_spent_usd',
  'budget_limit_usd',
];

interface Rule {
  alert: string;
  expr: string;
  annotations: { runbook: string };
}

interface UnitTest {
  input_series: unknown[];
  alert_rule_test: { alertname: string; exp_alerts: unknown[] }[];
}

const rules = (): Rule[] =>
  (
    parse(readFileSync(join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8')) as { groups: { rules: Rule[] }[] }
  ).groups.flatMap((group) => group.rules);

function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: PROMETHEUS_DIR, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** The metric names a PromQL expression reads: label matchers, groupings, strings and functions taken out. */
function metricsOf(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const names = bare.match(/\b[a-z_][a-z0-9_]*\b(?!\s*\()/g) ?? [];
  return names.filter((name) => !['and', 'or', 'unless', 'bool', 'offset'].includes(name));
}

async function exportedMetrics(): Promise<Set<string>> {
  const families = await new Metrics().registry.getMetricsAsJSON();
  const names = families.flatMap((family) =>
    // prom-client types `type` as an enum it does not export at run time.
    (family.type as unknown) === 'histogram'
      ? [`${family.name}_bucket`, `${family.name}_count`, `${family.name}_sum`]
      : [family.name],
  );
  const awaited = AWAITED_METRICS.flatMap((name) => [name, `${name}_bucket`, `${name}_count`, `${name}_sum`]);
  return new Set([...names, ...awaited]);
}

describe('Prometheus alert rules', () => {
  beforeAll(() => assertInstalled('promtool'));

  it('pass promtool check rules, and the compose Prometheus config (which loads them) passes check config', () => {
    const rulesCheck = promtool('check', 'rules', 'alerts.yml');
    expect(rulesCheck.output).toContain(`SUCCESS: ${rules().length} rules found`);
    expect(rulesCheck.status).toBe(0);
    const configCheck = promtool('check', 'config', 'prometheus.yml');
    expect(configCheck.output).toContain('SUCCESS');
    expect(configCheck.status).toBe(0);
  });

  it('pass their promtool unit tests, with a firing and a quiet case for every alert', () => {
    const run = promtool('test', 'rules', 'alerts.test.yml');
    expect(run.output).toContain('SUCCESS');
    expect(run.status).toBe(0);
    const { tests } = parse(readFileSync(join(PROMETHEUS_DIR, 'alerts.test.yml'), 'utf8')) as {
      tests: UnitTest[];
    };
    const cases = tests.flatMap((test) => test.alert_rule_test);
    for (const { alert } of rules()) {
      const own = cases.filter((test) => test.alertname === alert);
      expect([alert, own.some((test) => test.exp_alerts.length > 0)]).toEqual([alert, true]);
      expect([alert, own.some((test) => test.exp_alerts.length === 0)]).toEqual([alert, true]);
    }
  });

  it('read only metrics the app exports, as do the dashboard panels', async () => {
    const exported = await exportedMetrics();
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      panels: { targets?: { expr: string }[] }[];
    };
    const exprs = [
      ...rules().map((rule) => rule.expr),
      ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr)),
    ];
    const read = new Set(exprs.flatMap(metricsOf));
    expect(read.size).toBeGreaterThan(10);
    expect([...read].filter((name) => !exported.has(name))).toEqual([]);
  });

  it('each point to a runbook section of docs/operations.md', () => {
    const headings = readFileSync(OPERATIONS, 'utf8').match(/^### \S+$/gm) ?? [];
    for (const rule of rules()) {
      expect(rule.annotations.runbook).toBe(`docs/operations.md#${rule.alert.toLowerCase()}`);
      expect(headings).toContain(`### ${rule.alert}`);
    }
  });
});
