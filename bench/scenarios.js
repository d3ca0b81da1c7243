'use strict';
// What each scenario sends and where, how the bench finds out at run time whether a scenario's feature
// exists (the response cache, the queue), and the queue's drain rate read from the gateway's /metrics.
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const SCENARIOS = {
  a: { name: 'direct', aliases: ['direct'] },
  b: { name: 'pass-through', aliases: ['pass-through', 'passthrough'] },
  c: { name: 'cache hits', aliases: ['cache', 'cache-hits'], needs: 'the response cache' },
  d: { name: 'queue 202', aliases: ['queue'], needs: 'the queue' },
  e: { name: 'hits, no limits', aliases: ['no-limits'], needs: 'the response cache' },
  f: { name: '401 floor', aliases: ['401', 'floor'] },
  g: { name: 'mock provider', aliases: ['mock'] },
  // Measured twice, straight to the stub (`directName`) and through the gateway, back to back.
  h: { name: 'streaming', directName: 'stream direct', aliases: ['stream', 'streaming'], needs: 'streaming' },
};

const UPSTREAM_API_KEY = 'bench-key';
// The bench runs the gateway with NODE_ENV=production, which refuses keys published in this repository:
// each run makes its own.
const runKey = (name) => `bench-${name}-${randomBytes(12).toString('hex')}`;
const CALLER_KEY = runKey('caller');
const CACHE_CALLER_KEY = runKey('cache-caller');
const FREE_CALLER_KEY = runKey('free-caller');
const GENEROUS_LIMITS = { per_minute: 100_000_000, per_hour: 1_000_000_000, per_day: 1_000_000_000 };
const PROMPT = 'In one sentence: what does a breakwater protect a harbour from?';

function chatBody(model, extra = {}) {
  return JSON.stringify({ model, messages: [{ role: 'user', content: PROMPT }], ...extra });
}

// The usage chunk asked for both ways, so that direct and gateway streams carry the same chunks.
const STREAM = { stream: true, stream_options: { include_usage: true } };

function headers(key, extra = {}) {
  return { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...extra };
}

function writeCallersFile(dir) {
  const file = path.join(dir, 'callers.json');
  const callers = [
    { id: 'bench', key: CALLER_KEY, limits: GENEROUS_LIMITS, cache: { enabled: false } },
    { id: 'bench-cache', key: CACHE_CALLER_KEY, limits: GENEROUS_LIMITS, cache: { enabled: true } },
    // No limits of its own, and the gateway runs with RATE_LIMIT_PER_MINUTE=0: e is c without the limiter.
    { id: 'bench-free', key: FREE_CALLER_KEY, cache: { enabled: true } },
  ];
  fs.writeFileSync(file, JSON.stringify({ callers }, null, 2));
  return file;
}

/** What each scenario sends, and where; `direct`: h's request straight to the stub. */
function targetOf(scenario, baseUrl, { direct = false } = {}) {
  const url = `${baseUrl}/v1/chat/completions`;
  switch (scenario) {
    case 'a':
      return { url, headers: headers(UPSTREAM_API_KEY), body: chatBody('gpt-4o-mini') };
    case 'h':
      return direct
        ? { url, headers: headers(UPSTREAM_API_KEY), body: chatBody('gpt-4o-mini', STREAM) }
        : { url, headers: headers(CALLER_KEY), body: chatBody('openai/gpt-4o-mini', STREAM) };
    case 'b':
      return { url, headers: headers(CALLER_KEY), body: chatBody('openai/gpt-4o-mini') };
    case 'c':
      return { url, headers: headers(CACHE_CALLER_KEY), body: chatBody('openai/gpt-4o-mini') };
    case 'e':
      return { url, headers: headers(FREE_CALLER_KEY), body: chatBody('openai/gpt-4o-mini') };
    // What every request pays before any work: routing, the body parser, auth refusing an unknown key.
    case 'f':
      return {
        url,
        headers: headers(runKey('unknown')),
        body: chatBody('openai/gpt-4o-mini'),
        expectStatus: 401,
      };
    // The whole path of b (auth, limits in Redis, usage, metrics, log) with an in-process provider.
    case 'g':
      return { url, headers: headers(CALLER_KEY), body: chatBody('mock/bench') };
    default:
      return {
        url,
        headers: headers(CALLER_KEY, { 'x-processing-mode': 'async' }),
        body: chatBody('openai/gpt-4o-mini'),
        expectStatus: 202,
      };
  }
}

async function send(target) {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: target.headers,
    body: target.body,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  const eventStream = (response.headers.get('content-type') || '').startsWith('text/event-stream');
  let errorCode = null;
  try {
    errorCode = (JSON.parse(text).error || {}).code || null;
  } catch {
    // not JSON: no error code to report
  }
  return {
    status: response.status,
    errorCode,
    xCache: response.headers.get('x-cache'),
    ...(eventStream ? { streamEnded: text.trimEnd().endsWith('data: [DONE]') } : {}),
  };
}

function answered(probe) {
  return `${probe.status}${probe.errorCode ? ` ${probe.errorCode}` : ''}`;
}

/**
 * Decides at run time whether a scenario's feature exists: (c, e) a repeated identical request from a
 * cache-enabled caller answers `x-cache: HIT`; (d) `x-processing-mode: async` answers 202; (h) `stream:
 * true` answers an event stream ending with `data: [DONE]`.
 */
async function probe(scenario, target) {
  if (scenario === 'c' || scenario === 'e') {
    await send(target);
    const again = await send(target);
    const available = again.status === 200 && (again.xCache || '').toUpperCase() === 'HIT';
    const detail = `a repeated request answered ${answered(again)}, x-cache: ${again.xCache || 'absent'}`;
    return { ...again, available, detail };
  }
  const first = await send(target);
  if (scenario === 'h') {
    const shape =
      first.streamEnded === undefined
        ? 'no event stream'
        : `an event stream ${first.streamEnded ? '' : 'not '}ending with data: [DONE]`;
    return {
      ...first,
      available: first.status === 200 && first.streamEnded === true,
      detail: `stream: true answered ${answered(first)}, ${shape}`,
    };
  }
  if (scenario === 'd') {
    return {
      ...first,
      available: first.status === 202,
      detail: `x-processing-mode: async answered ${answered(first)}`,
    };
  }
  return { ...first, available: first.status === (target.expectStatus || 200), detail: answered(first) };
}

const FINISHED_OUTCOMES = ['completed', 'failed', 'expired'];

/**
 * The queue's counters from `queue_jobs_total{outcome}`: jobs enqueued (when the gateway counts them) and
 * jobs finished (the contract's terminal job states). Null when the metric is absent.
 */
async function queueCounters(baseUrl) {
  const text = await (await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const byOutcome = {};
  for (const match of text.matchAll(/^queue_jobs_total\{([^}]*)\}\s+(\S+)$/gm)) {
    const outcome = /outcome="([^"]*)"/.exec(match[1]);
    if (outcome) byOutcome[outcome[1]] = (byOutcome[outcome[1]] || 0) + Number(match[2]);
  }
  if (!Object.keys(byOutcome).length) return null;
  const finished = FINISHED_OUTCOMES.reduce((sum, outcome) => sum + (byOutcome[outcome] || 0), 0);
  return { enqueued: byOutcome.enqueued, finished };
}

/**
 * Drain rate of one worker process started once acceptance has stopped: finished jobs per second, from
 * the worker's /metrics, polled until every job the gateway enqueued has finished or the window ends.
 * Enqueued jobs are the gateway's own count when it has one: autocannon does not count the 202s still in
 * flight when a run stops.
 */
async function measureDrain(gatewayUrl, workerUrl, acceptedByClient, windowSec) {
  const enqueued = (await queueCounters(gatewayUrl))?.enqueued ?? acceptedByClient;
  const first = await queueCounters(workerUrl);
  const finishedOf = (counters) => counters?.finished ?? 0;
  const started = Date.now();
  let now = first;
  while (finishedOf(now) < enqueued && Date.now() - started < windowSec * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    now = await queueCounters(workerUrl);
  }
  const seconds = (Date.now() - started) / 1000;
  const done = finishedOf(now) - finishedOf(first);
  const left = Math.max(0, enqueued - finishedOf(now));
  // A backlog of a few jobs drains between two polls: its "rate" would only measure the polling.
  const jobsPerSec = enqueued >= 100 ? Math.round(done / seconds) : null;
  const rate = jobsPerSec === null ? 'too few to rate' : `${jobsPerSec} jobs/s`;
  const note =
    `one worker process: ${done} of ${enqueued} accepted jobs finished in ${seconds.toFixed(1)} s ` +
    `(${rate}); ${left} left`;
  return { jobsPerSec, accepted: enqueued, finished: finishedOf(now), seconds, note };
}

function accepted202(statusCodes) {
  return statusCodes['202'] || 0;
}

module.exports = {
  SCENARIOS,
  UPSTREAM_API_KEY,
  accepted202,
  measureDrain,
  probe,
  targetOf,
  writeCallersFile,
};
