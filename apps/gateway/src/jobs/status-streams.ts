import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { GatewayError } from '@breakwater/contracts';

/**
 * Bounds of the status event streams (`GET /v1/status/:id/events`): each open stream holds a socket, a
 * watcher and three timers, so a process serves a bounded number, and one caller cannot take them all.
 */
export const STATUS_STREAMS_PER_PROCESS = 1000;
export const STATUS_STREAMS_PER_CALLER = 20;
/** A stream ends after this long even if its job has not: the client reconnects if it still cares. */
export const STATUS_STREAM_MAX_MS = 15 * 60_000;
/** A comment line this often keeps proxies from closing an idle stream and finds clients that left. */
export const STATUS_STREAM_HEARTBEAT_MS = 15_000;
/** A refused stream's Retry-After: places free as streams end, which nothing predicts. */
const FULL_RETRY_SECONDS = 5;

/**
 * Counts the open status streams of this process, in all and per caller, and ends them all when the
 * process shuts down: an open stream would otherwise hold the server's close until its lifetime ends.
 */
@Injectable()
export class StatusStreams implements BeforeApplicationShutdown {
  private total = 0;
  private readonly perCaller = new Map<string, number>();
  private readonly enders = new Set<() => void>();

  beforeApplicationShutdown(): void {
    for (const end of [...this.enders]) end();
  }

  /**
   * Takes a place for a stream of `callerId` (429 RATE_LIMITED when none is left), which `end` closes at
   * shutdown; the release is idempotent.
   */
  open(callerId: string, end: () => void): () => void {
    const own = this.perCaller.get(callerId) ?? 0;
    if (this.total >= STATUS_STREAMS_PER_PROCESS || own >= STATUS_STREAMS_PER_CALLER) {
      const bound =
        own >= STATUS_STREAMS_PER_CALLER
          ? `${STATUS_STREAMS_PER_CALLER} per caller`
          : `${STATUS_STREAMS_PER_PROCESS} on this gateway`;
      throw new GatewayError(
        'RATE_LIMITED',
        `too many open status event streams (${bound}); close one or poll /v1/status`,
        {
          retryAfterSeconds: FULL_RETRY_SECONDS,
        },
      );
    }
    this.total++;
    this.perCaller.set(callerId, own + 1);
    this.enders.add(end);
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.enders.delete(end);
      this.total--;
      const left = (this.perCaller.get(callerId) ?? 1) - 1;
      if (left > 0) this.perCaller.set(callerId, left);
      else this.perCaller.delete(callerId);
    };
  }
}
