import { Logger } from '@nestjs/common';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { OtlpProtocol } from '@breakwater/config';

/** What the running SDK offers the process: the flush and stop of its shutdown path. */
export interface TracingSdk {
  shutdown(): Promise<void>;
}

export interface TracingSdkSettings {
  tracesUrl: string;
  protocol: OtlpProtocol;
  /** `service.name` unless OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES) names the service. */
  defaultServiceName: string;
}

/**
 * The OpenTelemetry SDK of a process with tracing on; the only module that loads SDK packages, and only
 * `startTracing` loads it. The global tracer provider becomes a NodeTracerProvider (AsyncLocalStorage
 * context, W3C trace-context propagator) exporting in batches to the OTLP/HTTP traces URL. What the
 * specification leaves to the environment is read by the SDK itself as it defines it: OTEL_TRACES_SAMPLER
 * and OTEL_TRACES_SAMPLER_ARG (the provider builds its sampler from them), OTEL_SERVICE_NAME and
 * OTEL_RESOURCE_ATTRIBUTES (the env detector), the exporter's headers, timeout and compression. The SDK's own
 * complaints (an exporter that cannot reach its collector, a sampler name it does not know) go to the
 * process's log at warn.
 */
export function startTracingSdk(settings: TracingSdkSettings): TracingSdk {
  const logger = new Logger('Tracing');
  diag.setLogger(
    {
      error: (message) => logger.warn(message),
      warn: (message) => logger.warn(message),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    DiagLogLevel.WARN,
  );
  const exporter =
    settings.protocol === 'http/json'
      ? new JsonTraceExporter({ url: settings.tracesUrl })
      : new ProtobufTraceExporter({ url: settings.tracesUrl });
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.defaultServiceName }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  provider.register();
  return { shutdown: () => provider.shutdown() };
}
