'use strict';
// Turns measured rows into the report: each gateway row against direct (a) of the same connections and
// upstream latency, the goals, one fixed-width table and the JSON written to bench/results/latest.json.
const { profileLines } = require('./profile');

const PERCENTILES = [
  ['p50', 'p50'],
  ['p90', 'p90'],
  ['p99', 'p99'],
  ['p99_9', 'p99.9'],
];

/** A run where every answer had the scenario's expected status (401 for the floor, 202 for d, else 200). */
function cleanRun(row) {
  return row.status === 'measured' && row.errors === 0 && row.unexpected === 0;
}

/**
 * Adds to each measured gateway row its added latency (row - a, per percentile) and throughput ratio
 * (row / a) against the direct row of the same connections and upstream latency. Only clean runs (no
 * errors, every answer of the expected status) are compared: an error path's speed says nothing.
 */
function comparePassThrough(rows) {
  for (const row of rows) {
    if (row.scenario === 'a' || row.status !== 'measured') continue;
    const direct = rows.find(
      (other) =>
        other.scenario === 'a' &&
        other.status === 'measured' &&
        other.connections === row.connections &&
        other.upstreamMs === row.upstreamMs,
    );
    if (!direct) {
      row.comparison = {
        comparable: false,
        reason: 'no direct (a) row with these connections and upstream latency',
      };
    } else if (!cleanRun(row) || !cleanRun(direct)) {
      row.comparison = {
        comparable: false,
        reason: `not comparable: ${cleanRun(row) ? 'direct (a)' : `${row.scenario} ${row.name}`} had errors or unexpected answers`,
      };
    } else {
      const addedMs = {};
      for (const [key] of PERCENTILES)
        addedMs[key] = Math.round((row.latencyMs[key] - direct.latencyMs[key]) * 100) / 100;
      const throughputRatio = Math.round((row.requestsPerSec / direct.requestsPerSec) * 100) / 100;
      row.comparison = { comparable: true, against: direct.id, addedMs, throughputRatio };
    }
  }
}

/**
 * The goals of issue 13, each judged on one row or a ratio of two rows of the same run (50 connections
 * and 0 ms upstream unless named): pass-through against direct and against the mock provider, the added
 * latency at one connection, cache hits, peak RSS, 202 acceptance and one worker's drain.
 */
const GOALS = [
  { id: 'pass-through ratio', row: 'b-50c-0ms', ratioTo: 'a-50c-0ms', min: 0.15 },
  { id: 'transport share', row: 'b-50c-0ms', ratioTo: 'g-50c-0ms', min: 0.8 },
  { id: 'added p50 at 1c (ms)', row: 'b-1c-0ms', added: 'p50', max: 0.3 },
  { id: 'added p99 at 1c (ms)', row: 'b-1c-0ms', added: 'p99', max: 2 },
  { id: 'cache hit ratio', row: 'c-50c-0ms', ratioTo: 'a-50c-0ms', min: 0.35 },
  { id: 'cache hit p99 (ms)', row: 'c-50c-0ms', latency: 'p99', max: 15 },
  { id: 'peak RSS at 50c (MB)', rss: 50, max: 200 },
  { id: '202 p99 (ms)', row: 'd-50c-0ms', latency: 'p99', max: 20, strict: true },
  { id: 'drain (jobs/s)', row: 'd-50c-0ms', drain: true, min: 1500 },
];

function goalValue(goal, rows) {
  const byId = (id) => rows.find((row) => row.id === id && row.status === 'measured');
  if (goal.rss) {
    const peaks = rows
      .filter((row) => row.connections === goal.rss && row.scenario !== 'a' && row.gatewayRssPeakMb)
      .map((row) => row.gatewayRssPeakMb);
    return peaks.length ? Math.max(...peaks) : null;
  }
  const row = byId(goal.row);
  if (!row || !cleanRun(row)) return null;
  if (goal.latency) return row.latencyMs[goal.latency];
  if (goal.drain) return row.drain ? row.drain.jobsPerSec : null;
  const direct = byId(`a-${row.connections}c-${row.upstreamMs}ms`);
  if (goal.added)
    return direct ? Math.round((row.latencyMs[goal.added] - direct.latencyMs[goal.added]) * 100) / 100 : null;
  const other = byId(goal.ratioTo);
  return other && other.requestsPerSec
    ? Math.round((row.requestsPerSec / other.requestsPerSec) * 100) / 100
    : null;
}

function judgeTargets(rows) {
  const goals = GOALS.map((goal) => {
    const value = goalValue(goal, rows);
    const bound = goal.min !== undefined ? `>= ${goal.min}` : `${goal.strict ? '<' : '<='} ${goal.max}`;
    let met = null;
    if (value !== null) {
      if (goal.min !== undefined) met = value >= goal.min;
      else met = goal.strict ? value < goal.max : value <= goal.max;
    }
    return { goal: goal.id, target: bound, value, met };
  });
  const judged = goals.filter((goal) => goal.met !== null);
  return { goals, met: judged.length === goals.length ? judged.every((goal) => goal.met) : null };
}

const COLUMNS = [
  ['scenario', 16, 'left'],
  ['conns', 5],
  ['upstream', 8],
  ['req/s', 7],
  ['p50', 7],
  ['p90', 7],
  ['p99', 7],
  ['p99.9', 7],
  ['errors', 6],
  ['non2xx', 7],
  ['RSS MB', 6],
  ['CPU ms', 6],
  ['|', 1],
  ['+p50', 7],
  ['+p90', 7],
  ['+p99', 7],
  ['+p99.9', 7],
  ['ratio', 5],
];

function cell(value, width, align) {
  const text = value === null || value === undefined ? '-' : String(value);
  return align === 'left' ? text.padEnd(width) : text.padStart(width);
}

function signed(value) {
  return value > 0 ? `+${value}` : String(value);
}

function line(values) {
  return COLUMNS.map(([, width, align], index) => cell(values[index], width, align))
    .join(' ')
    .trimEnd();
}

function label(row) {
  return `${row.scenario} ${row.name}`;
}

function rowLine(row) {
  if (row.status !== 'measured') return `${cell(label(row), 16, 'left')} ${row.note}`;
  const compared = row.comparison && row.comparison.comparable ? row.comparison : null;
  const added = (key) => (compared ? signed(compared.addedMs[key]) : null);
  return line([
    label(row),
    row.connections,
    `${row.upstreamMs} ms`,
    row.requestsPerSec,
    ...PERCENTILES.map(([key]) => row.latencyMs[key]),
    row.errors,
    row.non2xx,
    row.gatewayRssPeakMb,
    row.cpuMsPerRequest,
    '|',
    ...PERCENTILES.map(([key]) => added(key)),
    compared ? compared.throughputRatio.toFixed(2) : null,
  ]);
}

function rowNotes(row) {
  const notes = [];
  const where = `${row.scenario} ${row.connections}c ${row.upstreamMs}ms`;
  if (row.status === 'measured') {
    const others = Object.entries(row.statusCodes).filter(([code]) => Number(code) !== row.expectedStatus);
    if (others.length) {
      const codes = others.map(([code, count]) => `${code} x${count}`).join(', ');
      const error =
        row.probe && row.probe.errorCode ? ` (probe: ${row.probe.status} ${row.probe.errorCode})` : '';
      notes.push(`${where}: non-2xx ${codes}${error}`);
    }
    if (row.errors) notes.push(`${where}: ${row.errors} connection errors (${row.timeouts} timeouts)`);
    if (row.comparison && !row.comparison.comparable) notes.push(`${where}: ${row.comparison.reason}`);
    if (row.drain) notes.push(`${where}: queue drain ${row.drain.note}`);
    if (row.profile) notes.push(...profileLines(where, row.profile));
    if (row.drain && row.drain.profile) notes.push(...profileLines(`${where} worker`, row.drain.profile));
    if (row.limitsCost) {
      const { withLimitsPerSec, withoutLimitsPerSec, fraction } = row.limitsCost;
      notes.push(
        `${where}: limits cost ${(fraction * 100).toFixed(1)}% of hit throughput ` +
          `(${withLimitsPerSec} req/s with, ${withoutLimitsPerSec} without; target under 10%)`,
      );
    }
  }
  return notes;
}

/**
 * What the limiter costs a cache hit: for each c row, 1 - c req/s / e req/s at the same connections
 * (e is the same hit for a caller no window, slot or budget applies to). Sets `row.limitsCost`.
 */
function compareLimits(rows) {
  for (const row of rows) {
    if (row.scenario !== 'c' || row.status !== 'measured') continue;
    const free = rows.find(
      (other) =>
        other.scenario === 'e' && other.connections === row.connections && other.status === 'measured',
    );
    if (!free || !free.requestsPerSec) continue;
    row.limitsCost = {
      withLimitsPerSec: row.requestsPerSec,
      withoutLimitsPerSec: free.requestsPerSec,
      fraction: Math.round((1 - row.requestsPerSec / free.requestsPerSec) * 1000) / 1000,
    };
  }
}

function formatTable(report) {
  const { machine, durations } = report;
  const out = [];
  out.push(
    `Breakwater bench (${report.mode}) ${report.date}  commit ${report.commit}  ` +
      `${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadAverage.join(' ')}  Node ${machine.node}`,
  );
  out.push(
    `warm-up ${durations.warmUpSec} s + measured ${durations.measureSec} s per row, pipelining 1. ` +
      'Latency in ms over the answers of the expected status. CPU ms = gateway CPU time per request. ' +
      '+pN = added latency over a; ratio = req/s / a req/s.' +
      (report.nodeOptions ? ` Gateway NODE_OPTIONS: ${report.nodeOptions}` : ''),
  );
  out.push('');
  const header = line(COLUMNS.map(([name]) => name));
  out.push(header, '-'.repeat(header.length));
  for (const row of report.scenarios) out.push(rowLine(row));
  out.push('');
  const { targets } = report;
  const verdict = ({ goal, target, value, met }) =>
    `${goal} ${target}: ${value === null ? 'not measured' : `${value} ${met ? 'met' : 'NOT MET'}`}`;
  out.push(
    `Goals${targets.met === null ? '' : ` (${targets.met ? 'all met' : 'NOT all met'})`}:`,
    ...targets.goals.map((goal) => `  ${verdict(goal)}`),
  );
  const notes = report.scenarios.flatMap(rowNotes);
  const builds = [...new Set(report.scenarios.map((row) => row.gatewayBuild).filter(Boolean))];
  if (builds.length > 1) {
    notes.unshift(
      `dist/ was rebuilt during the run: gateway rows measured ${builds.length} different builds ` +
        `(${builds.join(', ')}; gatewayBuild in latest.json); run again for comparable rows`,
    );
  }
  if (notes.length) out.push('', 'Notes:', ...notes.map((note) => `  ${note}`));
  return out.join('\n');
}

module.exports = { compareLimits, comparePassThrough, judgeTargets, formatTable, GOALS };
