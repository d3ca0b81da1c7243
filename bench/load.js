'use strict';
// Load generation with autocannon's library API: a warm-up run whose numbers are dropped, then the
// measured run of fixed duration. One run at a time, so Ctrl-C can stop the one in flight.
const autocannon = require('autocannon');

let current;

/**
 * One autocannon run. Besides autocannon's own numbers (its latency histogram keeps whole milliseconds),
 * the latency of every answer with the expected status is kept to the microsecond, so that the added
 * latency of a 1-connection row can be read in tenths of a millisecond.
 */
function run(target, connections, seconds) {
  const precise = [];
  const expected = target.expectStatus || 200;
  const instance = autocannon({
    url: target.url,
    method: 'POST',
    headers: target.headers,
    body: target.body,
    connections,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
  });
  instance.on('response', (client, statusCode, bytes, responseTimeMs) => {
    if (statusCode === expected) precise.push(responseTimeMs);
  });
  current = instance;
  return Promise.resolve(instance)
    .then((result) => ({ ...result, precise }))
    .finally(() => {
      current = undefined;
    });
}

/** The percentile `p` (0..100) of sorted values, to the hundredth of a millisecond. */
function percentile(sorted, p) {
  if (!sorted.length) return null;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, index)] * 100) / 100;
}

function preciseLatency(values) {
  const sorted = Float64Array.from(values).sort();
  const mean = sorted.length ? sorted.reduce((sum, value) => sum + value, 0) / sorted.length : null;
  return {
    mean: mean === null ? null : Math.round(mean * 100) / 100,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    p99_9: percentile(sorted, 99.9),
    max: sorted.length ? Math.round(sorted[sorted.length - 1] * 100) / 100 : null,
  };
}

/**
 * The numbers the report keeps from an autocannon result. Latency in ms to the hundredth, over the
 * answers with the expected status (autocannon's own figures over its 2xx, in whole ms, stay in
 * `autocannonLatencyMs`).
 */
function summarise(result, expected) {
  const statusCodes = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats || {}))
    statusCodes[code] = Number(count);
  const { latency } = result;
  return {
    requestsPerSec: Math.round(result.requests.average),
    requests: result.requests.total,
    durationSec: result.duration,
    latencyMs: preciseLatency(result.precise),
    autocannonLatencyMs: {
      mean: latency.average,
      p50: latency.p50,
      p90: latency.p90,
      p99: latency.p99,
      p99_9: latency.p99_9,
      max: latency.max,
    },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    unexpected: result.requests.total - result.precise.length,
    expectedStatus: expected,
    statusCodes,
  };
}

/** Warm-up (dropped), then the measured run. `target`: {url, headers, body}. */
async function measure(target, connections, durations) {
  const expected = target.expectStatus || 200;
  const warmUp = await run(target, connections, durations.warmUpSec);
  const measured = await run(target, connections, durations.measureSec);
  const warmUpSummary = summarise(warmUp, expected);
  return {
    ...summarise(measured, expected),
    warmUpStatusCodes: warmUpSummary.statusCodes,
    warmUpRequests: warmUpSummary.requests,
  };
}

/** Stops the run in flight (Ctrl-C); its promise resolves with what it has. */
function stopLoad() {
  if (current) current.stop();
}

module.exports = { measure, preciseLatency, stopLoad };
