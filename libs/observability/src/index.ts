// What operators see: pino JSON logs with redaction and request ids, the Prometheus instruments (every
// metric name of the contract is spelled once, in metrics.ts), and OpenTelemetry spans when configured.
export * from './metrics';
export * from './metrics.controller';
export * from './observability.module';
export * from './request-log';
export * from './logger-options';
export * from './tracing/trace-attributes';
export * from './tracing/tracing';
export * from './tracing/tracing-runtime';
