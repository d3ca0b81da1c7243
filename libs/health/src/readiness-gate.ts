/**
 * What besides shutting down makes a process unready: a lib that can stop accepting work provides this
 * token (the queue lib: Redis down and the local queue full). Optional: without one, only shutdown does.
 */
export abstract class ReadinessGate {
  /** Why the process cannot accept work right now, or undefined while it can. */
  abstract blockedBy(): string | undefined;
}
