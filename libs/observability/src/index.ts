// What operators see: pino JSON logs with redaction and request ids, and the Prometheus instruments
// (every metric name of the contract is spelled once, in metrics.ts).
export * from './metrics';
export * from './metrics.controller';
export * from './observability.module';
export * from './request-log';
export * from './logger-options';
