import { IncomingHttpHeaders } from 'node:http';
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import {
  Attributes,
  Context,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  Tracer,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
import { AppConfig } from '@breakwater/config';
import { RequestLogFields } from '../request-log';
import { ATTR } from './trace-attributes';
import { stopTracing } from './tracing-runtime';

export { SpanKind } from '@opentelemetry/api';
export type { Span } from '@opentelemetry/api';

/** A W3C `traceparent` as carried in a job's data or a webhook's header. */
export type Traceparent = string;

interface Carrier {
  traceparent?: string;
  tracestate?: string;
}

/**
 * The spans of the gateway and the worker, on @opentelemetry/api alone (startTracing loads the SDK when the
 * configuration asks for it). With tracing off (no traces URL) every method calls its function straight
 * and creates nothing: the request path pays one boolean test per step.
 *
 * A span's context is the active one (AsyncLocalStorage) for everything its function awaits, so the
 * steps below it (limits, cache, each provider attempt, the enqueue) become its children without being
 * passed anything. Across processes the context travels as a W3C `traceparent`: in a job's data
 * (`traceparentOf` at the enqueue, `continued` in the worker) and on the webhook POST.
 */
@Injectable()
export class Tracing implements OnApplicationShutdown {
  readonly enabled: boolean;
  private readonly tracer: Tracer = trace.getTracer('breakwater');

  constructor(config: AppConfig) {
    this.enabled = config.tracing.tracesUrl !== undefined;
  }

  /**
   * Runs `fn` in a child span of the active context, ended when `fn` settles; a throw marks it as an
   * error (status and `error.type`). `fn` gets the span (undefined with tracing off) to add what it learns.
   */
  span<T>(
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    fn: (span: Span | undefined) => Promise<T>,
  ): Promise<T> {
    if (!this.enabled) return fn(undefined);
    return this.tracer.startActiveSpan(name, { kind, attributes }, (span) => ended(span, fn));
  }

  /** As `span`, with the parent taken from `traceparent` (a job's) instead of the active context. */
  continued<T>(
    traceparent: Traceparent | undefined,
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    fn: (span: Span | undefined) => Promise<T>,
  ): Promise<T> {
    if (!this.enabled) return fn(undefined);
    const parent = traceparent === undefined ? ROOT_CONTEXT : extracted({ traceparent });
    return this.tracer.startActiveSpan(name, { kind, attributes }, parent, (span) => ended(span, fn));
  }

  /** The active context as a `traceparent` (undefined with tracing off, or with no sampled span). */
  traceparentOf(): Traceparent | undefined {
    if (!this.enabled) return undefined;
    const carrier: Carrier = {};
    propagation.inject(context.active(), carrier);
    return carrier.traceparent;
  }

  /** Marks a span as failed without a throw (a job's outcome): `error.type` and an error status. */
  failed(span: Span | undefined, errorType: string, message?: string): void {
    span?.setAttribute(ATTR.errorType, errorType);
    span?.setStatus({ code: SpanStatusCode.ERROR, message });
  }

  /** A request's server span, continuing the caller's `traceparent`; undefined with tracing off. */
  startServer(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    requestId: string,
  ): Span | undefined {
    if (!this.enabled) return undefined;
    const attributes = { [ATTR.httpMethod]: method, [ATTR.urlPath]: path, [ATTR.requestId]: requestId };
    return this.tracer.startSpan(method, { kind: SpanKind.SERVER, attributes }, extracted(headers));
  }

  /** Calls `fn` with `span` as the active context, so that what it starts continues the span. */
  within<T>(span: Span, fn: () => T): T {
    return context.with(trace.setSpan(context.active(), span), fn);
  }

  /**
   * Ends a server span with its route, status and what the request's log line says of it (caller, error
   * code). A 5xx is an error, as the HTTP conventions say; a 4xx is the client's.
   */
  endServer(span: Span, method: string, route: string, status: number, fields: RequestLogFields): void {
    span.updateName(`${method} ${route}`);
    span.setAttributes({ [ATTR.httpRoute]: route, [ATTR.httpStatus]: status });
    if (fields.caller !== undefined) span.setAttribute(ATTR.caller, fields.caller);
    if (status >= 500) this.failed(span, fields.error_code ?? String(status));
    span.end();
  }

  /** The last step of the shutdown path: buffered spans are exported before the process ends. */
  onApplicationShutdown(): Promise<void> {
    return stopTracing();
  }
}

function extracted(carrier: Carrier | IncomingHttpHeaders): Context {
  return propagation.extract(ROOT_CONTEXT, carrier);
}

async function ended<T>(span: Span, fn: (span: Span) => Promise<T>): Promise<T> {
  try {
    return await fn(span);
  } catch (error) {
    span.setAttribute(ATTR.errorType, errorTypeOf(error));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : undefined,
    });
    throw error;
  } finally {
    span.end();
  }
}

/** A GatewayError's or ProviderError's code or kind, else the error's class name. */
function errorTypeOf(error: unknown): string {
  if (error instanceof Error) {
    const { code, kind } = error as Error & { code?: unknown; kind?: unknown };
    if (typeof code === 'string') return code;
    if (typeof kind === 'string') return kind;
    return error.name;
  }
  return 'unknown';
}
