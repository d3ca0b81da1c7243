// Limits on the request path: request windows, concurrency and day budgets per caller, end user and
// gateway, outbound quotas per provider, and usage per caller; shared through Redis, per process without it.
export * from './budget-ledger';
export * from './budget-rule';
export * from './concurrency-slots';
export * from './end-user';
export * from './estimate';
export * from './limits.service';
export * from './outbound-limits.service';
export * from './rate-limit-headers';
export * from './rate-limit.module';
export * from './usage-report';
export * from './usage.service';
export * from './window-limiters';
