import { SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { testConfig } from '@breakwater/testing';
import { SpanKind, Tracing } from './tracing';

const ENDPOINT = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };

describe('the traces URL and protocol from the OpenTelemetry variables', () => {
  it.each([
    [{}, undefined],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'http://collector:4318/v1/traces'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/base/' }, 'http://collector:4318/base/v1/traces'],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:1', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:2/mine' },
      'http://b:2/mine',
    ],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }, undefined],
  ])('%j traces to %s', (env, url) => {
    expect(testConfig(env).tracing.tracesUrl).toBe(url);
  });

  it('takes http/protobuf by default, the traces protocol over the general one, and refuses grpc', () => {
    expect(testConfig(ENDPOINT).tracing.protocol).toBe('http/protobuf');
    expect(
      testConfig({
        ...ENDPOINT,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      }).tracing.protocol,
    ).toBe('http/json');
    expect(() => testConfig({ ...ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL/,
    );
  });
});

describe('Tracing', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  });

  afterEach(() => exporter.reset());

  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('calls straight through and makes nothing when no endpoint is configured', async () => {
    const tracing = new Tracing(testConfig());
    const seen = await tracing.span('off', SpanKind.INTERNAL, {}, (span) => Promise.resolve(span));
    expect(seen).toBeUndefined();
    expect(tracing.traceparentOf()).toBeUndefined();
    expect(tracing.startServer('GET', '/', {}, 'id')).toBeUndefined();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('nests the spans its functions start under theirs, across awaits', async () => {
    const tracing = new Tracing(testConfig(ENDPOINT));
    await tracing.span('outer', SpanKind.SERVER, {}, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await tracing.span('inner', SpanKind.CLIENT, { 'gen_ai.system': 'openai' }, () => Promise.resolve());
    });
    const [inner, outer] = exporter.getFinishedSpans();
    expect(inner.name).toBe('inner');
    expect(inner.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(inner.spanContext().traceId).toBe(outer.spanContext().traceId);
    expect(inner.attributes).toEqual({ 'gen_ai.system': 'openai' });
  });

  it('marks a span whose function throws as an error, with the error code as error.type, and rethrows', async () => {
    const tracing = new Tracing(testConfig(ENDPOINT));
    const failure = Object.assign(new Error('openai: connection failed'), { code: 'PROVIDER_UNAVAILABLE' });
    await expect(tracing.span('fails', SpanKind.CLIENT, {}, () => Promise.reject(failure))).rejects.toBe(
      failure,
    );
    const [span] = exporter.getFinishedSpans();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'openai: connection failed' });
    expect(span.attributes['error.type']).toBe('PROVIDER_UNAVAILABLE');
  });

  it('carries a context as traceparent and continues it elsewhere, as a job does', async () => {
    const tracing = new Tracing(testConfig(ENDPOINT));
    const carried = await tracing.span('send', SpanKind.PRODUCER, {}, () =>
      Promise.resolve(tracing.traceparentOf()),
    );
    expect(carried).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await tracing.continued(carried, 'process', SpanKind.CONSUMER, {}, () => Promise.resolve());
    const [send, processed] = exporter.getFinishedSpans();
    expect(carried).toBe(`00-${send.spanContext().traceId}-${send.spanContext().spanId}-01`);
    expect(processed.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
    expect(processed.spanContext().traceId).toBe(send.spanContext().traceId);
  });

  it("continues a request's traceparent in its server span and ignores a malformed one", () => {
    const tracing = new Tracing(testConfig(ENDPOINT));
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const span = tracing.startServer('POST', '/v1/chat/completions', { traceparent }, 'r1');
    tracing.endServer(span!, 'POST', '/v1/chat/completions', 503, { error_code: 'PROVIDER_UNAVAILABLE' });
    const forged = tracing.startServer('GET', '/', { traceparent: `00-${'z'.repeat(32)}-bad-01` }, 'r2');
    tracing.endServer(forged!, 'GET', 'unmatched', 404, {});
    const [server, fresh] = exporter.getFinishedSpans();
    expect(server.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(server.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(server.name).toBe('POST /v1/chat/completions');
    expect(server.status.code).toBe(SpanStatusCode.ERROR);
    expect(server.attributes['error.type']).toBe('PROVIDER_UNAVAILABLE');
    expect(fresh.parentSpanContext).toBeUndefined();
    expect(fresh.status.code).toBe(SpanStatusCode.UNSET);
  });
});
