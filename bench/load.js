'use strict';
// Load generation with autocannon's library API: a warm-up run whose numbers are dropped, then the
// measured run of fixed duration. One run at a time, so Ctrl-C can stop the one in flight.
const autocannon = require('autocannon');

let current;

function run(target, connections, seconds) {
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
  current = instance;
  return Promise.resolve(instance).finally(() => {
    current = undefined;
  });
}

/** The numbers the report keeps from an autocannon result. Latency in ms, as autocannon records it. */
function summarise(result) {
  const statusCodes = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats || {}))
    statusCodes[code] = Number(count);
  const { latency } = result;
  return {
    requestsPerSec: Math.round(result.requests.average),
    requests: result.requests.total,
    durationSec: result.duration,
    latencyMs: {
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
    statusCodes,
  };
}

/** Warm-up (dropped), then the measured run. `target`: {url, headers, body}. */
async function measure(target, connections, durations) {
  const warmUp = await run(target, connections, durations.warmUpSec);
  const measured = await run(target, connections, durations.measureSec);
  return { ...summarise(measured), warmUpStatusCodes: summarise(warmUp).statusCodes };
}

/** Stops the run in flight (Ctrl-C); its promise resolves with what it has. */
function stopLoad() {
  if (current) current.stop();
}

module.exports = { measure, stopLoad };
