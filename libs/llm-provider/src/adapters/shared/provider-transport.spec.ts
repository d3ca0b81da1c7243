import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  RateLimitError,
} from 'openai';
import { ProviderError } from '../../provider-error';
import { MAX_ANSWER_BYTES, ProviderTransport } from './provider-transport';

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

const OPENAI_ERRORS = { APIUserAbortError, APIConnectionTimeoutError, APIConnectionError, APIError };

describe('ProviderTransport', () => {
  let server: Server;
  let handler: Handler;
  let connections: number;
  const transports: ProviderTransport[] = [];

  const transport = (timeoutMs = 5000, path = '/v1/'): ProviderTransport => {
    const { port } = server.address() as AddressInfo;
    const created = new ProviderTransport({
      id: 'openai',
      baseUrl: `http://127.0.0.1:${port}${path}`,
      headers: { authorization: 'Bearer sk-secret', 'X-Title': 'Breakwater' },
      timeoutMs,
      errors: OPENAI_ERRORS,
    });
    transports.push(created);
    return created;
  };
  const failure = (promise: Promise<unknown>): Promise<unknown> =>
    promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (error: unknown) => error,
    );
  const never = new AbortController().signal;

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => handler(request, body, response));
    });
    server.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  beforeEach(() => {
    connections = 0;
  });
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((created) => created.close()));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('posts the body as JSON under the base path with its headers, and keeps its connections', async () => {
    const seen: { path?: string; headers: IncomingMessage['headers']; body: string }[] = [];
    handler = (request, body, response) => {
      seen.push({ path: request.url, headers: request.headers, body });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"chatcmpl-1"}');
    };
    const client = transport();
    await expect(client.post('/chat/completions', { model: 'm', n: 1 }, never)).resolves.toEqual({
      id: 'chatcmpl-1',
    });
    for (let n = 2; n <= 5; n++) await client.post('/chat/completions', { model: 'm', n }, never);
    expect(seen.map(({ path, body }) => [path, body])).toEqual(
      [1, 2, 3, 4, 5].map((n) => ['/v1/chat/completions', `{"model":"m","n":${n}}`]),
    );
    expect(seen[0].headers).toMatchObject({
      authorization: 'Bearer sk-secret',
      'x-title': 'Breakwater',
      'content-type': 'application/json',
      accept: 'application/json',
    });
    // The pool frees a connection a tick after its answer ends, so a call made at once may open a second.
    expect(connections).toBeLessThanOrEqual(2);
  });

  it("fails in the SDK's own class for the status, with the parsed body and the headers", async () => {
    handler = (_request, _body, response) =>
      response
        .writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' })
        .end('{"error":{"message":"slow down","type":"requests"}}');
    const error = await failure(transport().post('/chat/completions', {}, never));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({
      status: 429,
      message: '429 slow down',
      error: { message: 'slow down', type: 'requests' },
    });
    expect((error as RateLimitError).headers.get('retry-after')).toBe('7');
  });

  it('passes an error body that is not JSON as the message, and an empty one as none', async () => {
    handler = (_request, _body, response) => response.writeHead(502).end('<html>Bad Gateway</html>');
    await expect(failure(transport().post('/x', {}, never))).resolves.toMatchObject({
      status: 502,
      message: '502 <html>Bad Gateway</html>',
    });
    handler = (_request, _body, response) => response.writeHead(503).end();
    await expect(failure(transport().post('/x', {}, never))).resolves.toMatchObject({
      status: 503,
      message: '503 status code (no body)',
    });
  });

  it('refuses an answer larger than MAX_ANSWER_BYTES as a ProviderError, without reading it all', async () => {
    let written = 0;
    handler = (_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = (): void => {
        while (written <= 4 * MAX_ANSWER_BYTES && !response.destroyed) {
          written += chunk.length;
          if (!response.write(chunk)) {
            response.once('drain', pump);
            return;
          }
        }
        response.end();
      };
      response.on('close', () => response.removeAllListeners('drain'));
      pump();
    };
    const error = await failure(transport().post('/x', {}, never));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      kind: 'bad_request',
      message: `openai: the answer is larger than ${MAX_ANSWER_BYTES} bytes`,
    });
    expect(written).toBeLessThan(4 * MAX_ANSWER_BYTES);
  });

  it('fails as a timeout when the answer outlasts timeoutMs, headers or body', async () => {
    handler = () => undefined;
    await expect(failure(transport(150).post('/x', {}, never))).resolves.toBeInstanceOf(
      APIConnectionTimeoutError,
    );
    handler = (_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"id":');
    };
    await expect(failure(transport(150).post('/x', {}, never))).resolves.toBeInstanceOf(
      APIConnectionTimeoutError,
    );
  });

  it("fails as a user abort when the caller's signal fires, and sends nothing when it already has", async () => {
    handler = () => undefined;
    const controller = new AbortController();
    const pending = failure(transport().post('/x', {}, controller.signal));
    setTimeout(() => controller.abort(), 50);
    await expect(pending).resolves.toBeInstanceOf(APIUserAbortError);
    connections = 0;
    await expect(failure(transport().post('/x', {}, controller.signal))).resolves.toBeInstanceOf(
      APIUserAbortError,
    );
    expect(connections).toBe(0);
  });

  it('fails as a connection error carrying the cause when the socket is cut', async () => {
    handler = (request) => request.socket.destroy();
    const error = await failure(transport().post('/x', {}, never));
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(error).not.toBeInstanceOf(APIConnectionTimeoutError);
    expect((error as Error).cause).toMatchObject({ code: 'UND_ERR_SOCKET' });
  });
});
