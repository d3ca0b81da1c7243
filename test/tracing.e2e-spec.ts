import { IncomingHttpHeaders, Server, createServer } from 'node:http';
import { join } from 'node:path';
import { UNREACHABLE_REDIS } from '@breakwater/testing';
import { QUEUE_CALLERS, writeCallersFile } from './helpers/callers';
import { eventually } from './helpers/eventually';
import { freePort } from './helpers/free-port';
import { postJson } from './helpers/gateway';
import { OtlpReceiver, ReceivedSpan, traceTree } from './helpers/otlp-receiver';
import { RunningProcess, startProcess, waitForHttp } from './helpers/process';
import { RedisServer, startRedis } from './helpers/redis-server';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';

const KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };
const ERROR = 2;
const CLEAN_STOP = ['SIGTERM', 0];
const PRELOAD = `--require ${join(__dirname, 'helpers', 'report-loaded-modules.js')}`;
const PROVIDER_KEY = 'sk-test-openai-trace-secret-0001';
const ASSESSOR = { authorization: 'Bearer assessor-key-0001' };
/** Spans reach the collector within a tenth of a second of ending, not the SDK's default five. */
const FAST_EXPORT = { OTEL_BSP_SCHEDULE_DELAY: '100' };
/** SIGTERM closes at once: no load balancer to drain. */
const NO_DRAIN = { SHUTDOWN_DRAIN_SECONDS: '0' };

/** The @opentelemetry packages a stopped process had loaded (see report-loaded-modules.js). */
function loadedOpenTelemetry(process: RunningProcess): string[] {
  const line = /loaded-opentelemetry (\[.*\])/.exec(process.output());
  if (!line) throw new Error(`no module report in:\n${process.output()}`);
  return JSON.parse(line[1]) as string[];
}

async function startGatewayProcess(
  env: Record<string, string>,
): Promise<{ url: string; process: RunningProcess }> {
  const port = await freePort();
  const gateway = startProcess('gateway', { PORT: String(port), NODE_OPTIONS: PRELOAD, ...NO_DRAIN, ...env });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health/live`, 60_000);
  return { url, process: gateway };
}

/** The JSON log lines of a process's output (its other lines left out). */
function jsonLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function one(spans: ReceivedSpan[], predicate: (span: ReceivedSpan) => boolean, what: string): ReceivedSpan {
  const found = spans.filter(predicate);
  if (found.length !== 1)
    throw new Error(`expected one ${what}, found ${found.length}:\n${traceTree(spans)}`);
  return found[0];
}

jest.setTimeout(240_000);

describe('tracing with OpenTelemetry, across the gateway, the queue and the worker', () => {
  let redis: RedisServer;
  let collector: OtlpReceiver;

  beforeAll(async () => {
    redis = await startRedis();
    collector = await new OtlpReceiver().start();
  });

  afterAll(async () => {
    await collector.stop();
    await redis.stop();
  });

  it('continues one trace from the request through the enqueue, the worker, the provider (traceparent) and the webhook', async () => {
    const hookPort = await freePort();
    const hooks: { headers: IncomingHttpHeaders; body: string }[] = [];
    const receiver: Server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        hooks.push({ headers: request.headers, body });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(hookPort, '127.0.0.1', resolve));
    const closedPort = await freePort();
    const shared = {
      REDIS_URL: redis.url,
      CALLERS_FILE: writeCallersFile(QUEUE_CALLERS),
      OPENAI_API_KEY: PROVIDER_KEY,
      WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${hookPort}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      ...FAST_EXPORT,
    };
    let stub: OpenAiStub | undefined;
    let worker: RunningProcess | undefined;
    // The caller's own span: the gateway's server span is its child.
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpanId = '00f067aa0ba902b7';
    const gateway = await startGatewayProcess({
      ...shared,
      // The provider is down for the gateway: a closed port.
      OPENAI_BASE_URL: `http://127.0.0.1:${closedPort}/v1`,
      RUN_WORKERS: 'false',
      RETRY_MAX_ATTEMPTS: '1',
    });
    try {
      const response = await postJson(
        `${gateway.url}/v1/chat/completions`,
        { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'trace me through the queue' }] },
        {
          ...ASSESSOR,
          traceparent: `00-${traceId}-${callerSpanId}-01`,
          'x-callback-url': `http://127.0.0.1:${hookPort}/hook`,
        },
      );
      expect(response.status).toBe(202);

      // The provider is back, for a worker process that drains the queue.
      stub = await startOpenAiStub();
      const workerPort = await freePort();
      worker = startProcess('worker', {
        ...shared,
        WORKER_PORT: String(workerPort),
        OPENAI_BASE_URL: stub.baseUrl,
        OTEL_SERVICE_NAME: 'breakwater-trace-test-worker',
        NODE_OPTIONS: PRELOAD,
        ...NO_DRAIN,
      });
      await waitForHttp(`http://127.0.0.1:${workerPort}/health/live`, 60_000);
      const hook = await eventually(() => hooks[0], 30_000);
      expect(CLEAN_STOP).toContain(await worker.stop('SIGTERM'));
      expect(CLEAN_STOP).toContain(await gateway.process.stop('SIGTERM'));

      const spans = collector.spans().filter((span) => span.traceId === traceId);
      console.log(`the trace ${traceId}, as the collector received it:\n${traceTree(spans)}`);

      const server = one(spans, (span) => span.kind === KIND.server, 'server span');
      expect(server).toMatchObject({
        service: 'breakwater-gateway',
        parentSpanId: callerSpanId,
        name: 'POST /v1/chat/completions',
      });
      expect(server.attributes).toMatchObject({
        'http.response.status_code': 202,
        'breakwater.caller': 'assessor',
      });
      const childOf = (parent: ReceivedSpan) => (span: ReceivedSpan) => span.parentSpanId === parent.spanId;
      one(spans, (span) => childOf(server)(span) && span.name === 'limits', 'limits span');
      one(spans, (span) => childOf(server)(span) && span.name === 'cache lookup', 'cache lookup span');
      const refused = one(
        spans,
        (span) => childOf(server)(span) && span.kind === KIND.client && span.service === 'breakwater-gateway',
        'provider attempt of the gateway',
      );
      expect(refused).toMatchObject({ name: 'chat gpt-4o-mini', status: ERROR });
      expect(refused.attributes).toMatchObject({
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
      });
      const enqueue = one(
        spans,
        (span) => childOf(server)(span) && span.kind === KIND.producer,
        'enqueue span',
      );
      expect(enqueue.name).toBe('send bw-llm');

      const job = one(spans, (span) => span.kind === KIND.consumer, 'worker job span');
      expect(job).toMatchObject({
        service: 'breakwater-trace-test-worker',
        parentSpanId: enqueue.spanId,
        name: 'process bw-llm',
      });
      expect(job.attributes).toMatchObject({ 'breakwater.outcome': 'completed', 'breakwater.attempt': 1 });
      const attempt = one(
        spans,
        (span) => childOf(job)(span) && span.kind === KIND.client && span.name.startsWith('chat'),
        'worker provider attempt',
      );
      expect(attempt.status).not.toBe(ERROR);
      // The usage the provider reported, as the webhook delivered the answer.
      const { usage } = (JSON.parse(hook.body) as { result: { usage: Record<string, number> } }).result;
      expect(attempt.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': usage.prompt_tokens,
        'gen_ai.usage.output_tokens': usage.completion_tokens,
      });
      expect(typeof attempt.attributes['gen_ai.response.model']).toBe('string');
      // The provider receives the attempt's context, so its own traces (if it keeps any) join this one.
      const called = stub?.server.requests.filter((request) => request.path.endsWith('/chat/completions'));
      expect(called?.map((request) => request.headers.traceparent)).toEqual([
        `00-${traceId}-${attempt.spanId}-01`,
      ]);
      const webhook = one(
        spans,
        (span) => childOf(job)(span) && span.name === 'POST webhook',
        'webhook span',
      );
      expect(webhook.attributes['http.response.status_code']).toBe(200);
      // The webhook's target receives the webhook span's context.
      expect(hook.headers.traceparent).toBe(`00-${traceId}-${webhook.spanId}-01`);

      // The gateway process's own log lines say what failed and why the request was queued.
      const gatewayLines = jsonLines(gateway.process.output());
      expect(
        gatewayLines.find((line) => line.msg === 'provider attempt failed: no attempt or time left'),
      ).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', attempt: 1 });
      expect(gatewayLines.find((line) => line.status === 202)).toMatchObject({
        route: '/v1/chat/completions',
        provider: 'openai',
        model: 'gpt-4o-mini',
        error_code: 'PROVIDER_UNAVAILABLE',
      });

      // The health probes the test polled (on both processes) make no spans.
      expect(
        collector.spans().filter((span) => String(span.attributes['url.path']).startsWith('/health/')),
      ).toEqual([]);

      // Tracing on loads the SDK, in both processes.
      expect(loadedOpenTelemetry(gateway.process)).toContain('@opentelemetry/sdk-trace-node');
      expect(loadedOpenTelemetry(worker)).toContain('@opentelemetry/sdk-trace-node');
      expect(gateway.process.output() + worker.output()).not.toContain(PROVIDER_KEY);
    } finally {
      await worker?.stop('SIGKILL');
      await gateway.process.stop('SIGKILL');
      await stub?.stop();
      receiver.close();
    }
  });

  it('exports OTLP/protobuf by default, and nothing with OTEL_TRACES_SAMPLER=always_off', async () => {
    const ask = { model: 'mock/echo', messages: [{ role: 'user', content: 'protobuf please' }] };
    const traceId = 'aaf92f3577b34da6a3ce929d0e0e4736';
    const exported = collector.exports.length;
    const sampled = await startGatewayProcess({
      REDIS_URL: UNREACHABLE_REDIS,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/custom/traces`,
      ...FAST_EXPORT,
    });
    const answered = await postJson(`${sampled.url}/v1/chat/completions`, ask, {
      authorization: 'Bearer dev-key',
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    expect(answered.status).toBe(200);
    expect(CLEAN_STOP).toContain(await sampled.process.stop('SIGTERM'));
    const protobuf = collector.exports.slice(exported);
    expect(protobuf.length).toBeGreaterThan(0);
    for (const received of protobuf) {
      expect(received.path).toBe('/custom/traces');
      expect(received.contentType).toBe('application/x-protobuf');
    }
    // Protobuf carries ids as raw bytes and names as UTF-8: the trace and the server span are in there.
    const bodies = Buffer.concat(protobuf.map((received) => received.body));
    expect(bodies.includes(Buffer.from(traceId, 'hex'))).toBe(true);
    expect(bodies.includes(Buffer.from('POST /v1/chat/completions'))).toBe(true);

    const before = collector.exports.length;
    const unsampled = await startGatewayProcess({
      REDIS_URL: UNREACHABLE_REDIS,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_TRACES_SAMPLER: 'always_off',
      ...FAST_EXPORT,
    });
    expect((await postJson(`${unsampled.url}/v1/chat/completions`, ask)).status).toBe(200);
    expect(CLEAN_STOP).toContain(await unsampled.process.stop('SIGTERM'));
    expect(collector.exports.length).toBe(before);
  });

  it('loads no OpenTelemetry SDK and exports nothing when no OTLP endpoint is set', async () => {
    const before = collector.exports.length;
    const gateway = await startGatewayProcess({ REDIS_URL: UNREACHABLE_REDIS });
    const response = await postJson(
      `${gateway.url}/v1/chat/completions`,
      {
        model: 'mock/echo',
        messages: [{ role: 'user', content: 'no tracing' }],
      },
      {
        authorization: 'Bearer dev-key',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      },
    );
    expect(response.status).toBe(200);
    expect(CLEAN_STOP).toContain(await gateway.process.stop('SIGTERM'));
    expect(loadedOpenTelemetry(gateway.process)).toEqual(['@opentelemetry/api']);
    expect(collector.exports.length).toBe(before);
  });

  it('refuses to start with an OTLP protocol it has no exporter for, naming the variable', async () => {
    const gateway = startProcess('gateway', {
      PORT: String(await freePort()),
      REDIS_URL: UNREACHABLE_REDIS,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    });
    expect(await gateway.exited).toBe(1);
    expect(gateway.output()).toContain('OTEL_EXPORTER_OTLP_PROTOCOL');
  });
});
