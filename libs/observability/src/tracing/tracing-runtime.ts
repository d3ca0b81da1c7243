import { context, propagation } from '@opentelemetry/api';
import { AppConfig } from '@breakwater/config';
import type { TracingSdk } from './tracing-sdk';

let running: TracingSdk | undefined;

/**
 * Starts the OpenTelemetry SDK of this process when the configuration names a traces URL; without one
 * nothing is loaded beyond @opentelemetry/api, whose tracer then makes no spans. Called once by a process's
 * main, before its app is created.
 */
export async function startTracing(config: AppConfig, defaultServiceName: string): Promise<void> {
  const { tracesUrl, protocol } = config.tracing;
  if (tracesUrl === undefined || running) return;
  const { startTracingSdk } = await import('./tracing-sdk');
  running = startTracingSdk({ tracesUrl, protocol, defaultServiceName });
}

/** Ends the SDK: exports every finished span still buffered, then stops. Nothing when tracing is off. */
export async function stopTracing(): Promise<void> {
  const sdk = running;
  running = undefined;
  await sdk?.shutdown();
}

/**
 * `headers` with the active trace context (`traceparent`, and `tracestate` when there is one) for an
 * outgoing call, so that a provider keeping traces continues the request's; `headers` itself while
 * tracing is off, at the cost of one test.
 */
export function withTraceContext(headers: Record<string, string>): Record<string, string> {
  if (!running) return headers;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent === undefined ? headers : { ...headers, ...carrier };
}
