import { Writable } from 'node:stream';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import { ChatCompletion, ErrorBody } from '@breakwater/contracts';
import { testConfig } from '@breakwater/testing';
import { createGatewayApp } from '../../apps/gateway/src/gateway.app';

export interface TestGateway {
  readonly url: string;
  readonly app: NestFastifyApplication;
  /** Every JSON log line the gateway wrote, parsed. */
  readonly logs: Record<string, unknown>[];
  /** The raw log text, to assert that something never appears. */
  rawLogs(): string;
  close(): Promise<void>;
}

/** The real gateway application in this process on a free port, configured only by `env`. */
export async function startGateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const config = testConfig({ LOG_LEVEL: 'info', ...env });
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  // nestjs-pino keeps the logger of code outside a request in a module-level singleton, bound to the
  // first app of the process; the newest gateway takes it over, so its start-up lines reach its own logs.
  __resetOutOfContextForTests();
  const app = await createGatewayApp(config, destination);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    get logs() {
      return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    rawLogs: () => lines.join('\n'),
    close: () => app.close(),
  };
}

/** POST a JSON body with the dev key unless `headers` says otherwise. */
export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = { authorization: 'Bearer dev-key' },
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The body of a 200 answer, typed. */
export async function completionOf(response: Response): Promise<ChatCompletion> {
  return (await response.json()) as ChatCompletion;
}

/** The body of an error answer, typed. */
export async function errorOf(response: Response): Promise<ErrorBody> {
  return (await response.json()) as ErrorBody;
}
