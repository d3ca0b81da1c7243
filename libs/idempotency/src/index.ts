// Idempotency: the answer to a request with an `idempotency-key`, claimed once per caller and replayed to
// every repeat for 24 h, in Redis, in this process while Redis is down.
export * from './idempotency.module';
export * from './idempotency.store';
