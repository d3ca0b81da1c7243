/**
 * What besides shutting down makes a process unready: a lib that can stop accepting work provides this
 * token (the queue lib: Redis down and the local queue full). Optional: without one, only shutdown does.
 */
export abstract class ReadinessGate {
  /** Why the process cannot accept work right now, or undefined while it can. */
  abstract blockedBy(): string | undefined;
}

/** One entry of the readiness details: always `up`, since what it reports never makes a process unready. */
export type ReadinessDetail = { status: 'up' } & Record<string, unknown>;

/**
 * What readiness shows without judging: a lib provides this token (the providers' circuit breakers: an
 * open one is the gateway's cue to answer 202, not unreadiness). Optional.
 */
export abstract class ReadinessDetails {
  abstract readinessDetails(): Record<string, ReadinessDetail>;
}
