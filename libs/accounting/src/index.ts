// Accounting: what each caller used, per UTC day and month and per model (requests, cache hits, tokens,
// USD), in Redis hashes, held in this process while Redis is down; and the units budgets share with it.
export * from './accounting-units';
export * from './accounting.module';
export * from './usage-report';
export * from './usage.service';
