import { IncomingHttpHeaders, IncomingMessage, createServer } from 'node:http';
import { AddressInfo, connect } from 'node:net';
import { GatewayError } from '@breakwater/contracts';
import { directivesOf } from './request-directives';

function paramOf(headers: Record<string, string>): string | undefined {
  try {
    directivesOf(headers);
    return undefined;
  } catch (error) {
    return error instanceof GatewayError ? error.param : 'not a GatewayError';
  }
}

describe('directivesOf: x-fallback-models', () => {
  it('keeps real model ids in order', () => {
    const header =
      'openrouter/meta-llama/llama-3.1-8b-instruct:free, openai/ft:gpt-4o-mini:org:name:id,gemini-2.5-flash';
    expect(directivesOf({ 'x-fallback-models': header }).fallbackModels).toEqual([
      'openrouter/meta-llama/llama-3.1-8b-instruct:free',
      'openai/ft:gpt-4o-mini:org:name:id',
      'gemini-2.5-flash',
    ]);
  });

  it.each([
    ['a space inside an entry', 'mock/a b'],
    ['a quote', 'mock/"a"'],
    ['a tab', 'mock/a\tb'],
    ['latin-1 bytes as Node decodes them', 'mock/\u00e9'],
    ['an entry of 257 characters', `mock/${'m'.repeat(252)}`],
  ])('refuses %s, naming the header', (_name, entry) => {
    expect(paramOf({ 'x-fallback-models': `mock/ok,${entry}` })).toBe('x-fallback-models');
  });
});

/** The headers Node hands a handler for a request that repeats each header line as given. */
async function overSocket(lines: Array<[string, string]>): Promise<IncomingHttpHeaders> {
  const server = createServer();
  const received = new Promise<IncomingHttpHeaders>((resolve) =>
    server.on('request', (request: IncomingMessage, response) => {
      resolve(request.headers);
      response.end();
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const socket = connect(port, '127.0.0.1');
  const head = lines.map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.end(`GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n${head}\r\n`);
  const headers = await received;
  socket.destroy();
  await new Promise((resolve) => server.close(resolve));
  return headers;
}

function outcomeOf(headers: IncomingHttpHeaders): unknown {
  try {
    return directivesOf(headers);
  } catch (error) {
    return error instanceof GatewayError ? { param: error.param } : 'not a GatewayError';
  }
}

describe('directivesOf: a repeated header', () => {
  it.each([
    ['x-processing-mode', ['async', 'immediate']],
    ['x-cache-mode', ['bypass', 'default']],
    ['cache-control', ['max-age=5', 'no-store']],
    ['x-end-user', ['tenant-a', 'tenant-b']],
    ['idempotency-key', ['k1', 'k2']],
    ['x-callback-url', ['https://a.example/hook', 'https://b.example/hook']],
  ])('%s sent twice reads as the same request over a socket does', async (name, values) => {
    const wire = await overSocket(values.map((value): [string, string] => [name, value]));
    expect(outcomeOf({ [name]: values })).toEqual(outcomeOf(wire));
  });
});

describe("directivesOf: the caller's processing_mode", () => {
  it('is the mode when x-processing-mode is absent, and the header overrides it', () => {
    expect(directivesOf({}).processingMode).toBe('queue_if_unavailable');
    expect(directivesOf({}, 'immediate').processingMode).toBe('immediate');
    expect(directivesOf({ 'x-processing-mode': 'async' }, 'immediate').processingMode).toBe('async');
  });
});

describe('directivesOf: x-priority', () => {
  it('reads high, normal and low (any case), and leaves it unset when absent', () => {
    expect(directivesOf({ 'x-priority': 'High' }).priority).toBe('high');
    expect(directivesOf({ 'x-priority': ' low ' }).priority).toBe('low');
    expect(directivesOf({}).priority).toBeUndefined();
  });

  it.each(['urgent', '1', 'high,low'])('refuses %p, naming the header', (value) => {
    expect(paramOf({ 'x-priority': value })).toBe('x-priority');
  });
});
