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

const hundredths = (value) => Math.round(value * 100) / 100;

/** The measured direct row of `scenario` with the connections and upstream latency of `row`. */
function directRowOf(rows, row, scenario, matches = () => true) {
  return rows.find(
    (other) =>
      other.scenario === scenario &&
      other.status === 'measured' &&
      other.connections === row.connections &&
      other.upstreamMs === row.upstreamMs &&
      matches(other),
  );
}

/**
 * `row` against `direct`: added latency (row - direct, per percentile) and throughput ratio (row /
 * direct). Only clean runs (no errors, every answer of the expected status) are compared: an error path's
 * speed says nothing.
 */
function comparedWith(row, direct, directLabel) {
  if (!direct) {
    return {
      comparable: false,
      reason: `no ${directLabel} row with these connections and upstream latency`,
    };
  }
  if (!cleanRun(row) || !cleanRun(direct)) {
    return {
      comparable: false,
      reason: `not comparable: ${cleanRun(row) ? directLabel : `${row.scenario} ${row.name}`} had errors or unexpected answers`,
    };
  }
  const addedMs = {};
  for (const [key] of PERCENTILES) addedMs[key] = hundredths(row.latencyMs[key] - direct.latencyMs[key]);
  const throughputRatio = hundredths(row.requestsPerSec / direct.requestsPerSec);
  return { comparable: true, against: direct.id, addedMs, throughputRatio };
}

/**
 * Adds to each measured gateway row (but h's) its comparison against the direct row (a) of the same
 * connections and upstream latency.
 */
function comparePassThrough(rows) {
  for (const row of rows) {
    if (row.scenario === 'a' || row.scenario === 'h' || row.status !== 'measured') continue;
    row.comparison = comparedWith(row, directRowOf(rows, row, 'a'), 'direct (a)');
  }
}

/**
 * Adds to each measured h row through the gateway its comparison against h's direct row: whole streams
 * as `comparedWith`, plus the time to first byte the gateway adds (`addedFirstByteMs`, to the headers and
 * to the first `data:` event, p50 and p99) and `chunksRatio` (chunks/s through the gateway / direct).
 */
function compareStreams(rows) {
  for (const row of rows) {
    if (row.scenario !== 'h' || row.direct || row.status !== 'measured') continue;
    const direct = directRowOf(rows, row, 'h', (other) => other.direct);
    row.comparison = comparedWith(row, direct, 'h stream direct');
    if (!row.comparison.comparable) continue;
    const added = (key) => ({
      p50: hundredths(row.firstByteMs[key].p50 - direct.firstByteMs[key].p50),
      p99: hundredths(row.firstByteMs[key].p99 - direct.firstByteMs[key].p99),
    });
    row.comparison.addedFirstByteMs = { headers: added('headers'), firstEvent: added('firstEvent') };
    row.comparison.chunksRatio = hundredths(row.chunksPerSec / direct.chunksPerSec);
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
      .filter(
        (row) => row.connections === goal.rss && !['a', 'h'].includes(row.scenario) && row.gatewayRssPeakMb,
      )
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

function line(values, columns = COLUMNS) {
  return columns
    .map(([, width, align], index) => cell(values[index], width, align))
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

/** h's own columns: the time to first byte, whole streams and chunks, direct and through the gateway. */
const STREAM_COLUMNS = [
  ['streams', 16, 'left'],
  ['conns', 5],
  ['upstream', 8],
  ['streams/s', 9],
  ['chunks/s', 8],
  ['chunks', 6],
  ['hdrs p50', 8],
  ['hdrs p99', 8],
  ['1st p50', 7],
  ['1st p99', 7],
  ['end p50', 7],
  ['end p99', 7],
  ['failed', 6],
  ['|', 1],
  ['+hdrs p50', 9],
  ['+hdrs p99', 9],
  ['+1st p50', 8],
  ['+1st p99', 8],
  ['chunks ratio', 12],
];

function streamLine(row) {
  const compared = row.comparison && row.comparison.comparable ? row.comparison : null;
  const added = (key, percentile) => (compared ? signed(compared.addedFirstByteMs[key][percentile]) : null);
  const { headers, firstEvent } = row.firstByteMs;
  return line(
    [
      label(row),
      row.connections,
      `${row.upstreamMs} ms`,
      row.requestsPerSec,
      row.chunksPerSec,
      row.chunksPerStream,
      headers.p50,
      headers.p99,
      firstEvent.p50,
      firstEvent.p99,
      row.latencyMs.p50,
      row.latencyMs.p99,
      row.errors + row.unexpected,
      '|',
      added('headers', 'p50'),
      added('headers', 'p99'),
      added('firstEvent', 'p50'),
      added('firstEvent', 'p99'),
      compared ? compared.chunksRatio.toFixed(2) : null,
    ],
    STREAM_COLUMNS,
  );
}

function streamTable(rows) {
  // An h row that could not run is in the table above with its reason.
  const streams = rows.filter((row) => row.scenario === 'h' && row.status === 'measured');
  if (!streams.length) return [];
  const header = line(
    STREAM_COLUMNS.map(([name]) => name),
    STREAM_COLUMNS,
  );
  return [
    '',
    'Streams (h), in ms from sending the request: hdrs = to the response headers, 1st = to the first ' +
      'data: event (time to first byte), end = to the end after data: [DONE]; chunks = chunk events per ' +
      'stream; failed = errors and streams that were not a 200 event stream of chunks ending with ' +
      'data: [DONE]. +... = through the gateway minus direct; chunks ratio = chunks/s through the ' +
      'gateway / direct.',
    '',
    header,
    '-'.repeat(header.length),
    ...streams.map(streamLine),
  ];
}

function rowNotes(row) {
  const notes = [];
  const where = `${row.scenario}${row.direct ? ' direct' : ''} ${row.connections}c ${row.upstreamMs}ms`;
  if (row.status === 'measured') {
    const others = Object.entries(row.statusCodes).filter(([code]) => Number(code) !== row.expectedStatus);
    if (others.length) {
      const codes = others.map(([code, count]) => `${code} x${count}`).join(', ');
      const error =
        row.probe && row.probe.errorCode ? ` (probe: ${row.probe.status} ${row.probe.errorCode})` : '';
      notes.push(`${where}: non-2xx ${codes}${error}`);
    }
    if (row.errors) notes.push(`${where}: ${row.errors} connection errors (${row.timeouts} timeouts)`);
    const failed = Object.entries(row.failures || {}).filter(([, count]) => count);
    if (failed.length) {
      const kinds = failed.map(([kind, count]) => `${kind} x${count}`).join(', ');
      notes.push(`${where}: failed streams ${kinds}`);
    }
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
      '+pN = added latency over a; ratio = req/s / a req/s. h: req/s = streams/s, latency = whole ' +
      'streams, compared with h stream direct.' +
      (report.nodeOptions ? ` Gateway NODE_OPTIONS: ${report.nodeOptions}` : ''),
  );
  out.push('');
  const header = line(COLUMNS.map(([name]) => name));
  out.push(header, '-'.repeat(header.length));
  for (const row of report.scenarios) out.push(rowLine(row));
  out.push(...streamTable(report.scenarios), '');
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

module.exports = {
  compareLimits,
  comparePassThrough,
  compareStreams,
  judgeTargets,
  formatTable,
  GOALS,
};
