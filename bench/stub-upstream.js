'use strict';
// A zero-dependency stand-in for OpenAI's chat-completions API on loopback, run as its own process so it
// never competes with the load generator's event loop.
// `node bench/stub-upstream.js [--latency-ms N] [--chunk-interval-ms N] [--port P]` prints its port on
// stdout once it listens; it exits on SIGTERM/SIGINT or when its parent process dies. `stream: true` is
// answered with OpenAI's server-sent events: the first chunk after the latency, then one every
// `--chunk-interval-ms` (default 2).
const { createServer } = require('node:http');

function flag(name, fallback) {
  const index = process.argv.indexOf(name);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 0) {
    process.stderr.write(`stub-upstream: ${name} needs a whole number >= 0\n`);
    process.exit(2);
  }
  return value;
}

const latencyMs = flag('--latency-ms', 0);
const chunkIntervalMs = flag('--chunk-interval-ms', 2);
const port = flag('--port', 0);
const ANSWER = 'Breakwater bench: a fixed answer from the stub upstream, about as long as a short reply.';
const COMPLETION_TOKENS = Math.ceil(ANSWER.length / 4);
/** The answer in the pieces a stream sends, a word each with its leading space, as OpenAI's tokens come. */
const PIECES = ANSWER.match(/\s*\S+/g);
let sequence = 0;

function sendJson(res, status, body) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'x-request-id': `req_bench_${sequence}`,
  });
  res.end(payload);
}

function openAiError(res, status, message, type, code) {
  sendJson(res, status, { error: { message, type, param: null, code } });
}

function usageFor(text) {
  const promptTokens = Math.max(1, Math.ceil(text.length / 4));
  return {
    prompt_tokens: promptTokens,
    completion_tokens: COMPLETION_TOKENS,
    total_tokens: promptTokens + COMPLETION_TOKENS,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** A `chat.completion` shaped as OpenAI sends it today, usage details included. */
function completionFor(request, text) {
  sequence += 1;
  return {
    id: `chatcmpl-bench${sequence}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: ANSWER, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: usageFor(text),
    service_tier: 'default',
    system_fingerprint: 'fp_breakwater_bench',
  };
}

/**
 * The `data:` events of a streamed answer as OpenAI sends them: a chunk with the role, one per piece of
 * the answer, one with the finish reason, and with `stream_options.include_usage` a last chunk with no
 * choices and the usage (every other chunk then says `usage: null`); then `[DONE]`.
 */
function streamEventsFor(request, text) {
  sequence += 1;
  const includeUsage = Boolean(request.stream_options && request.stream_options.include_usage === true);
  const created = Math.floor(Date.now() / 1000);
  const chunk = (choices, usage = null) => ({
    id: `chatcmpl-bench${sequence}`,
    object: 'chat.completion.chunk',
    created,
    model: request.model,
    service_tier: 'default',
    system_fingerprint: 'fp_breakwater_bench',
    choices,
    ...(includeUsage ? { usage } : {}),
  });
  const choice = (delta, finishReason = null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });
  const chunks = [
    chunk([choice({ role: 'assistant', content: '', refusal: null })]),
    ...PIECES.map((piece) => chunk([choice({ content: piece })])),
    chunk([choice({}, 'stop')]),
    ...(includeUsage ? [chunk([], usageFor(text))] : []),
  ];
  return chunks.map((value) => `data: ${JSON.stringify(value)}\n\n`);
}

/** The events one by one, `chunkIntervalMs` apart, `[DONE]` with the last; stops when the client leaves. */
function sendStream(res, events) {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-request-id': `req_bench_${sequence}`,
  });
  let next = 0;
  const write = () => {
    if (res.destroyed) return;
    res.write(events[next]);
    next += 1;
    if (next === events.length) res.end('data: [DONE]\n\n');
    else if (chunkIntervalMs > 0) setTimeout(write, chunkIntervalMs);
    else write();
  };
  write();
}

function handle(req, res, text) {
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
    openAiError(res, 404, `Unknown request URL: ${req.method} ${req.url}`, 'invalid_request_error', null);
    return;
  }
  if (!/^Bearer \S+/.test(req.headers.authorization || '')) {
    openAiError(res, 401, 'You did not provide an API key.', 'invalid_request_error', 'invalid_api_key');
    return;
  }
  let request;
  try {
    request = JSON.parse(text);
  } catch {
    openAiError(res, 400, 'We could not parse the JSON body of your request.', 'invalid_request_error', null);
    return;
  }
  if (!request || typeof request.model !== 'string' || !Array.isArray(request.messages)) {
    openAiError(res, 400, 'model and messages are required', 'invalid_request_error', null);
    return;
  }
  if (request.stream === true) {
    const events = streamEventsFor(request, text);
    if (latencyMs > 0) setTimeout(() => res.destroyed || sendStream(res, events), latencyMs);
    else sendStream(res, events);
    return;
  }
  const body = completionFor(request, text);
  if (latencyMs > 0) setTimeout(() => res.destroyed || sendJson(res, 200, body), latencyMs);
  else sendJson(res, 200, body);
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => handle(req, res, Buffer.concat(chunks).toString()));
});
// Clients (the gateway, autocannon) keep connections open as they would with the real API.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

function shutdown() {
  server.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// If the bench dies without stopping us (SIGKILL), we are re-parented: leave rather than linger on a port.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && shutdown(), 1000).unref();

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
