// Kubernetes probes through @nestjs/terminus: liveness checks nothing but the process; readiness fails
// only when no work can be accepted at all. A Redis outage is `degraded` (200), never unready.
export * from './health.module';
export * from './redis.health';
