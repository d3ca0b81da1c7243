// Kubernetes probes through @nestjs/terminus: liveness checks nothing but the process; readiness fails
// only when no work can be accepted at all (shutting down, or a ReadinessGate says so). A Redis outage
// alone is `degraded` (200).
export * from './health.module';
export * from './readiness-gate';
export * from './redis.health';
