'use strict';
// Closed-loop load for streamed answers (scenario h). autocannon times whole responses only; this times
// each stream's headers, its first `data:` event and its `data: [DONE]`, and counts its chunks: an undici
// Pool of N connections and N loops, each sending its next request as soon as its stream has ended. A
// warm-up run whose numbers are dropped, then the measured run, on the same connections.
const { setMaxListeners } = require('node:events');
const { createParser } = require('eventsource-parser');
const { Pool } = require('undici');
const { preciseLatency } = require('./load');

const TIMEOUT_MS = 10_000;
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

let current;

/**
 * One request and its whole stream. Times in ms from sending: `headersMs` once the status and headers
 * have arrived, `firstEventMs` at the first `data:` event, `endMs` when the body has ended. `deadline`:
 * chunks arriving after it are not counted in `chunksInWindow`.
 */
async function oneStream(pool, request, deadline, signal) {
  const started = performance.now();
  const stream = {
    status: 0,
    headersMs: null,
    firstEventMs: null,
    endMs: null,
    chunks: 0,
    chunksInWindow: 0,
    done: false,
    afterDone: 0,
    otherEvents: 0,
    error: null,
  };
  try {
    const { statusCode, headers, body } = await pool.request({ ...request, signal });
    stream.headersMs = performance.now() - started;
    stream.status = statusCode;
    stream.eventStream = String(headers['content-type'] || '').startsWith('text/event-stream');
    const parser = createParser({
      onEvent({ data }) {
        const now = performance.now();
        if (stream.firstEventMs === null) stream.firstEventMs = now - started;
        if (stream.done) stream.afterDone += 1;
        else if (data === '[DONE]') stream.done = true;
        // An error event (the gateway's after a failure midway) or anything else that is not a chunk.
        else if (!data.includes('"chat.completion.chunk"')) stream.otherEvents += 1;
        else {
          stream.chunks += 1;
          if (now <= deadline) stream.chunksInWindow += 1;
        }
      },
    });
    const decoder = new TextDecoder();
    for await (const bytes of body) parser.feed(decoder.decode(bytes, { stream: true }));
    stream.endMs = performance.now() - started;
  } catch (error) {
    stream.error = error;
  }
  stream.endedAt = performance.now();
  return stream;
}

/** Why a stream that did not end with an error failed, or null when it was a clean 200 event stream. */
function failureOf(stream) {
  if (stream.status !== 200) return 'status';
  if (!stream.eventStream) return 'notEventStream';
  if (stream.otherEvents) return 'otherEvent';
  if (!stream.done) return 'noDone';
  if (stream.afterDone) return 'afterDone';
  return null;
}

/** N loops over `pool` for `seconds`; what streams ended within that time is kept. */
async function run(pool, request, connections, seconds) {
  const controller = new AbortController();
  // Each request in flight listens to it (undici removes its listener when the request ends).
  setMaxListeners(connections + 1, controller.signal);
  current = controller;
  const deadline = performance.now() + seconds * 1000;
  const tally = {
    served: 0,
    streams: 0,
    chunksInWindow: 0,
    cleanChunks: 0,
    headers: [],
    firstEvents: [],
    ends: [],
    errors: 0,
    timeouts: 0,
    statusCodes: {},
    failures: { status: 0, notEventStream: 0, otherEvent: 0, noDone: 0, afterDone: 0 },
  };
  const keep = (stream) => {
    tally.chunksInWindow += stream.chunksInWindow;
    if (!stream.error) tally.served += 1;
    if (stream.endedAt > deadline) return;
    if (stream.error) {
      if (controller.signal.aborted) return;
      tally.errors += 1;
      if (TIMEOUT_CODES.has(stream.error.code)) tally.timeouts += 1;
      return;
    }
    tally.streams += 1;
    tally.statusCodes[stream.status] = (tally.statusCodes[stream.status] || 0) + 1;
    const failure = failureOf(stream);
    if (failure) {
      tally.failures[failure] += 1;
      return;
    }
    tally.cleanChunks += stream.chunks;
    tally.headers.push(stream.headersMs);
    tally.firstEvents.push(stream.firstEventMs);
    tally.ends.push(stream.endMs);
  };
  const loop = async () => {
    while (!controller.signal.aborted && performance.now() < deadline) {
      keep(await oneStream(pool, request, deadline, controller.signal));
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, loop));
  } finally {
    current = undefined;
  }
  return { ...tally, seconds, stopped: controller.signal.aborted };
}

/** The numbers the report keeps from a run, named as the autocannon rows name theirs. */
function summarise(tally) {
  const clean = tally.ends.length;
  const perSec = (count) => Math.round(count / tally.seconds);
  return {
    requestsPerSec: perSec(tally.streams),
    requests: tally.streams,
    durationSec: tally.seconds,
    latencyMs: preciseLatency(tally.ends),
    firstByteMs: { headers: preciseLatency(tally.headers), firstEvent: preciseLatency(tally.firstEvents) },
    chunksPerSec: perSec(tally.chunksInWindow),
    chunks: tally.chunksInWindow,
    chunksPerStream: clean ? Math.round((tally.cleanChunks / clean) * 100) / 100 : null,
    errors: tally.errors,
    timeouts: tally.timeouts,
    non2xx: Object.entries(tally.statusCodes)
      .filter(([code]) => Number(code) < 200 || Number(code) > 299)
      .reduce((sum, [, count]) => sum + count, 0),
    unexpected: tally.streams - clean,
    failures: tally.failures,
    expectedStatus: 200,
    statusCodes: tally.statusCodes,
  };
}

/** Warm-up (dropped), then the measured run. `target`: {url, headers, body} of a `stream: true` request. */
async function measureStreams(target, connections, durations) {
  const url = new URL(target.url);
  const pool = new Pool(url.origin, {
    connections,
    pipelining: 1,
    headersTimeout: TIMEOUT_MS,
    bodyTimeout: TIMEOUT_MS,
  });
  const request = { path: url.pathname, method: 'POST', headers: target.headers, body: target.body };
  try {
    const warmUpRun = await run(pool, request, connections, durations.warmUpSec);
    const warmUp = summarise(warmUpRun);
    const measuredRun = warmUpRun.stopped
      ? warmUpRun
      : await run(pool, request, connections, durations.measureSec);
    return {
      ...summarise(measuredRun),
      warmUpStatusCodes: warmUp.statusCodes,
      warmUpRequests: warmUp.requests,
      // Streams still running at the end of a window are not counted in it, but the gateway served them.
      served: warmUpRun.served + measuredRun.served,
    };
  } finally {
    await pool.destroy();
  }
}

/** Stops the run in flight (Ctrl-C): its streams are aborted and its promise resolves with what it has. */
function stopStreams() {
  if (current) current.abort();
}

module.exports = { measureStreams, stopStreams };
