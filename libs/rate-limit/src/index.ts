// Limits on the request path: request windows, concurrency and day budgets per caller, end user and
// gateway, and outbound quotas per provider; shared through Redis, per process without it.
export * from './budget-ledger';
export * from './budget-rule';
export * from './concurrency-slots';
export * from './end-user';
export * from './estimate';
export * from './limits.service';
export * from './outbound-limits.service';
export * from './rate-limit-headers';
export * from './rate-limit.module';
export * from './window-limiters';
