'use strict';
// Turns measured rows into the report: pass-through (b) against direct (a) of the same connections and
// upstream latency, the targets, one fixed-width table and the JSON written to bench/results/latest.json.

const PERCENTILES = [
  ['p50', 'p50'],
  ['p90', 'p90'],
  ['p99', 'p99'],
  ['p99_9', 'p99.9'],
];

/** The targets, judged on pass-through at 50 connections and 0 ms upstream. */
const TARGETS = {
  connections: 50,
  upstreamMs: 0,
  minRequestsPerSec: 5000,
  maxAddedP50Ms: 1,
  maxAddedP99Ms: 5,
};

function cleanRun(row) {
  return row.status === 'measured' && row.errors === 0 && row.non2xx === 0;
}

/**
 * Adds to each measured pass-through row its added latency (b - a, per percentile) and throughput ratio
 * (b / a) against the direct row of the same connections and upstream latency. Only clean runs (no
 * errors, no non-2xx) are compared: an error path's speed says nothing about pass-through.
 */
function comparePassThrough(rows) {
  for (const row of rows) {
    if (row.scenario !== 'b' || row.status !== 'measured') continue;
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
        reason: `not comparable: ${cleanRun(row) ? 'direct (a)' : 'pass-through (b)'} had errors or non-2xx answers`,
      };
    } else {
      const addedMs = {};
      for (const [key] of PERCENTILES) addedMs[key] = row.latencyMs[key] - direct.latencyMs[key];
      const throughputRatio = Math.round((row.requestsPerSec / direct.requestsPerSec) * 100) / 100;
      row.comparison = { comparable: true, against: direct.id, addedMs, throughputRatio };
    }
  }
}

function judgeTargets(rows) {
  const row = rows.find(
    (candidate) =>
      candidate.scenario === 'b' &&
      candidate.connections === TARGETS.connections &&
      candidate.upstreamMs === TARGETS.upstreamMs,
  );
  const targets = {
    row: `b pass-through, ${TARGETS.connections} connections, ${TARGETS.upstreamMs} ms upstream`,
    requestsPerSec: { target: `>= ${TARGETS.minRequestsPerSec}`, value: null, met: null },
    addedP50Ms: { target: `<= ${TARGETS.maxAddedP50Ms}`, value: null, met: null },
    addedP99Ms: { target: `<= ${TARGETS.maxAddedP99Ms}`, value: null, met: null },
    met: null,
    note: null,
  };
  if (!row || row.status !== 'measured') {
    targets.note = 'not judged: the row was not run';
    return targets;
  }
  if (!row.comparison || !row.comparison.comparable) {
    targets.note = `not met: ${row.comparison ? row.comparison.reason : 'no comparison'}`;
    targets.met = false;
    targets.requestsPerSec.value = row.requestsPerSec;
    return targets;
  }
  const { addedMs } = row.comparison;
  targets.requestsPerSec = { ...targets.requestsPerSec, value: row.requestsPerSec };
  targets.requestsPerSec.met = row.requestsPerSec >= TARGETS.minRequestsPerSec;
  targets.addedP50Ms = {
    ...targets.addedP50Ms,
    value: addedMs.p50,
    met: addedMs.p50 <= TARGETS.maxAddedP50Ms,
  };
  targets.addedP99Ms = {
    ...targets.addedP99Ms,
    value: addedMs.p99,
    met: addedMs.p99 <= TARGETS.maxAddedP99Ms,
  };
  targets.met = targets.requestsPerSec.met && targets.addedP50Ms.met && targets.addedP99Ms.met;
  return targets;
}

const COLUMNS = [
  ['scenario', 16, 'left'],
  ['conns', 5],
  ['upstream', 8],
  ['req/s', 7],
  ['p50', 5],
  ['p90', 5],
  ['p99', 5],
  ['p99.9', 6],
  ['errors', 6],
  ['non2xx', 7],
  ['RSS MB', 6],
  ['|', 1],
  ['+p50', 5],
  ['+p90', 5],
  ['+p99', 5],
  ['+p99.9', 6],
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
    '|',
    ...PERCENTILES.map(([key]) => added(key)),
    compared ? compared.throughputRatio.toFixed(2) : null,
  ]);
}

function rowNotes(row) {
  const notes = [];
  const where = `${row.scenario} ${row.connections}c ${row.upstreamMs}ms`;
  if (row.status === 'measured') {
    const others = Object.entries(row.statusCodes).filter(([code]) => !code.startsWith('2'));
    if (others.length) {
      const codes = others.map(([code, count]) => `${code} x${count}`).join(', ');
      const error =
        row.probe && row.probe.errorCode ? ` (probe: ${row.probe.status} ${row.probe.errorCode})` : '';
      notes.push(`${where}: non-2xx ${codes}${error}`);
    }
    if (row.errors) notes.push(`${where}: ${row.errors} connection errors (${row.timeouts} timeouts)`);
    if (row.comparison && !row.comparison.comparable) notes.push(`${where}: ${row.comparison.reason}`);
    if (row.drain) notes.push(`${where}: queue drain ${row.drain.note}`);
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
      'Latency in ms (autocannon, whole ms). +pN = added latency of b over a; ratio = b req/s / a req/s.',
  );
  out.push('');
  const header = line(COLUMNS.map(([name]) => name));
  out.push(header, '-'.repeat(header.length));
  for (const row of report.scenarios) out.push(rowLine(row));
  out.push('');
  const { targets } = report;
  const verdict = (entry, unit) =>
    entry.value === null ? 'not measured' : `${entry.value}${unit} ${entry.met ? 'met' : 'NOT MET'}`;
  out.push(
    `Targets (${targets.row}): req/s ${targets.requestsPerSec.target}: ${verdict(targets.requestsPerSec, '')}; ` +
      `added p50 ${targets.addedP50Ms.target} ms: ${verdict(targets.addedP50Ms, ' ms')}; ` +
      `added p99 ${targets.addedP99Ms.target} ms: ${verdict(targets.addedP99Ms, ' ms')}` +
      (targets.met === null ? '' : ` => ${targets.met ? 'MET' : 'NOT MET'}`) +
      (targets.note ? ` (${targets.note})` : ''),
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

module.exports = { compareLimits, comparePassThrough, judgeTargets, formatTable, TARGETS };
