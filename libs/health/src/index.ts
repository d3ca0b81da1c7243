// Kubernetes probes through @nestjs/terminus and the termination sequence they announce: liveness checks
// nothing but the process; readiness fails only when no work can be accepted at all (from SIGTERM on, or
// a ReadinessGate says so). A Redis outage alone is `degraded` (200).
export * from './health.module';
export * from './readiness-gate';
export * from './redis.health';
export * from './shutdown-signals';
export * from './shutdown-state';
