import { BreakwaterClient, FetchLike } from './breakwater-client';
import { BreakwaterError, JobFailedError, RateLimitedError } from './client-errors';

const QUEUE_ID = '6f1c1f0e-3a43-4d6e-9a43-0c2f5d7f3b10';
const completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'mock/echo',
  choices: [
    { index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop', logprobs: null },
  ],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
};
const accepted = {
  queue_id: QUEUE_ID,
  status: 'queued',
  status_url: `/v1/status/${QUEUE_ID}`,
  result_url: `/v1/results/${QUEUE_ID}`,
  expires_at: '2030-01-01T00:00:00.000Z',
  durable: true,
  reason: 'async mode: queued as requested',
};
const pending = {
  queue_id: QUEUE_ID,
  status: 'queued',
  attempts: 0,
  created_at: '',
  updated_at: '',
  expires_at: '',
};
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** A fetch that answers from a script, in order, and records what it was asked. */
function scripted(...answers: (() => Response)[]): {
  fetch: FetchLike;
  asked: { url: string; init: RequestInit }[];
} {
  const asked: { url: string; init: RequestInit }[] = [];
  return {
    asked,
    fetch: (url, init) => {
      asked.push({ url, init });
      const next = answers.shift();
      return next ? Promise.resolve(next()) : Promise.reject(new Error(`unscripted request ${url}`));
    },
  };
}

const request = { model: 'mock/echo', messages: [{ role: 'user' as const, content: 'hi' }] };

describe('BreakwaterClient', () => {
  it('sends the key and the contract headers for each option, under a base URL with or without /v1', async () => {
    const script = scripted(() => json(200, completion));
    const client = new BreakwaterClient({
      baseUrl: 'http://gw.test:3000/v1/',
      apiKey: 'k-1',
      fetch: script.fetch,
      statusEvents: false,
      headers: { traceparent: '00-abc-def-01' },
    });
    await client.chat(request, {
      processingMode: 'async',
      cacheMode: 'refresh',
      cacheTtlSeconds: 60,
      cacheKey: 'payload:field',
      idempotencyKey: 'idem-1',
      endUser: 'roaster-7',
      fallbackModels: ['openai/gpt-4o-mini', 'anthropic/claude-sonnet-4-5'],
      callbackUrl: 'https://hooks.test/done',
      requestId: 'req-1',
    });
    const [{ url, init }] = script.asked;
    expect(url).toBe('http://gw.test:3000/v1/chat/completions');
    expect(init.method).toBe('POST');
    expect(typeof init.body === 'string' && JSON.parse(init.body)).toEqual(request);
    expect(init.headers).toMatchObject({
      authorization: 'Bearer k-1',
      traceparent: '00-abc-def-01',
      'content-type': 'application/json',
      'x-processing-mode': 'async',
      'x-cache-mode': 'refresh',
      'x-cache-ttl': '60',
      'x-cache-key': 'payload:field',
      'idempotency-key': 'idem-1',
      'x-end-user': 'roaster-7',
      'x-fallback-models': 'openai/gpt-4o-mini,anthropic/claude-sonnet-4-5',
      'x-callback-url': 'https://hooks.test/done',
      'x-request-id': 'req-1',
    });
  });

  it('sends no directive header for an option left out', async () => {
    const script = scripted(() => json(200, completion));
    await new BreakwaterClient({
      baseUrl: 'http://gw.test',
      apiKey: 'k',
      fetch: script.fetch,
      statusEvents: false,
    }).chat(request);
    expect(Object.keys(script.asked[0].init.headers ?? {}).sort()).toEqual([
      'accept',
      'authorization',
      'content-type',
    ]);
  });

  it('returns the queue id of a 202 from submit() without polling', async () => {
    const script = scripted(() => json(202, accepted, { 'retry-after': '3', 'x-request-id': 'req-9' }));
    const client = new BreakwaterClient({
      baseUrl: 'http://gw.test',
      apiKey: 'k',
      fetch: script.fetch,
      statusEvents: false,
    });
    expect(await client.submit(request)).toEqual({
      kind: 'queued',
      queueId: QUEUE_ID,
      expiresAt: accepted.expires_at,
      durable: true,
      reason: accepted.reason,
      retryAfterSeconds: 3,
      requestId: 'req-9',
    });
    expect(script.asked).toHaveLength(1);
  });

  it('turns a 429 into RateLimitedError with the Retry-After', async () => {
    const script = scripted(() =>
      json(
        429,
        {
          error: { code: 'RATE_LIMITED', message: 'slow down', type: 'rate_limit_error' },
          request_id: 'req-2',
          retry_after: 7,
        },
        { 'retry-after': '7' },
      ),
    );
    const client = new BreakwaterClient({
      baseUrl: 'http://gw.test',
      apiKey: 'k',
      fetch: script.fetch,
      statusEvents: false,
    });
    const error = await client.chat(request).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
      retryAfterSeconds: 7,
      requestId: 'req-2',
    });
  });

  it('reports an answer that is not the contract’s as UNEXPECTED_RESPONSE, not as a failed job', async () => {
    const script = scripted(
      () => json(202, accepted, { 'retry-after': '0' }),
      () =>
        new Response('<html>502 Bad Gateway</html>', {
          status: 502,
          headers: { 'content-type': 'text/html' },
        }),
    );
    const client = new BreakwaterClient({
      baseUrl: 'http://gw.test',
      apiKey: 'k',
      fetch: script.fetch,
      statusEvents: false,
      poll: { initialDelayMs: 1 },
    });
    const error = await client.chat(request).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BreakwaterError);
    expect(error).not.toBeInstanceOf(JobFailedError);
    expect(error).toMatchObject({ status: 502, code: 'UNEXPECTED_RESPONSE' });
    expect((error as Error).message).toContain('502 Bad Gateway');
  });

  it('stops waiting when the signal aborts, with the signal’s reason, and polls no more', async () => {
    const script = scripted(
      () => json(202, accepted, { 'retry-after': '0' }),
      () => json(202, pending, { 'retry-after': '0' }),
    );
    const client = new BreakwaterClient({
      baseUrl: 'http://gw.test',
      apiKey: 'k',
      fetch: script.fetch,
      statusEvents: false,
      poll: { initialDelayMs: 50, factor: 1 },
    });
    const controller = new AbortController();
    const waiting = client.chat(request, { signal: controller.signal });
    // Abort during the sleep after the first look, when nothing is in flight.
    while (script.asked.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new Error('caller gave up'));
    await expect(waiting).rejects.toThrow('caller gave up');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(script.asked).toHaveLength(2);
  });

  it('refuses a bad poll policy before sending anything', async () => {
    const script = scripted();
    const client = new BreakwaterClient({
      baseUrl: 'http://gw.test',
      apiKey: 'k',
      fetch: script.fetch,
      statusEvents: false,
    });
    await expect(client.chat(request, { poll: { maxAttempts: 0 } })).rejects.toThrow('poll.maxAttempts');
    expect(script.asked).toHaveLength(0);
  });

  describe('status events', () => {
    const events = (...chunks: string[]) =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
            controller.close();
          },
        }),
        { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } },
      );
    const statusEvent = (status: string) =>
      `event: status\r\ndata: ${JSON.stringify({ ...pending, status })}\r\n\r\n`;

    it('follows the stream to the end, then fetches the result once, without polling', async () => {
      const script = scripted(
        () => json(202, accepted, { 'retry-after': '30' }),
        // Split mid-event and mid-CRLF, with a heartbeat comment in between.
        () =>
          events(
            statusEvent('queued').slice(0, 20),
            statusEvent('queued').slice(20, -1),
            '\n: keepalive\n\n',
            statusEvent('processing'),
            statusEvent('completed'),
          ),
        () => json(200, completion),
      );
      const client = new BreakwaterClient({ baseUrl: 'http://gw.test', apiKey: 'k', fetch: script.fetch });
      const started = Date.now();
      await expect(client.chat(request)).resolves.toEqual(completion);
      // The 202's Retry-After of 30 s paces polling only; the stream answered at once.
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(script.asked.map((asked) => asked.url)).toEqual([
        'http://gw.test/v1/chat/completions',
        `http://gw.test/v1/status/${QUEUE_ID}/events`,
        `http://gw.test/v1/results/${QUEUE_ID}`,
      ]);
      expect((script.asked[1].init.headers as Record<string, string>).accept).toBe('text/event-stream');
    });

    it('falls back to polling, after Retry-After, when the gateway does not serve the stream', async () => {
      const script = scripted(
        () => json(202, accepted, { 'retry-after': '0' }),
        () => json(404, { error: { code: 'NOT_FOUND', message: 'no', type: 'invalid_request_error' } }),
        () => json(202, pending, { 'retry-after': '0' }),
        () => json(200, completion),
      );
      const client = new BreakwaterClient({
        baseUrl: 'http://gw.test',
        apiKey: 'k',
        fetch: script.fetch,
        poll: { initialDelayMs: 1 },
      });
      await expect(client.chat(request)).resolves.toEqual(completion);
      expect(script.asked.map((asked) => new URL(asked.url).pathname)).toEqual([
        '/v1/chat/completions',
        `/v1/status/${QUEUE_ID}/events`,
        `/v1/results/${QUEUE_ID}`,
        `/v1/results/${QUEUE_ID}`,
      ]);
    });

    it('falls back to polling when the stream ends before the job does', async () => {
      const script = scripted(
        () => json(202, accepted, { 'retry-after': '0' }),
        () => events(statusEvent('queued')),
        () => json(200, completion),
      );
      const client = new BreakwaterClient({
        baseUrl: 'http://gw.test',
        apiKey: 'k',
        fetch: script.fetch,
        poll: { initialDelayMs: 1 },
      });
      await expect(client.chat(request)).resolves.toEqual(completion);
      expect(script.asked).toHaveLength(3);
    });
  });
});
