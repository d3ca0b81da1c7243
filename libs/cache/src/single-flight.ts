import { randomUUID } from 'node:crypto';
import { GatewayError } from '@breakwater/contracts';
import { CacheBus } from './cache-bus';
import { AnswerKind, AnsweredBy, CacheEntry } from './cache-entry';
import { SecondTier } from './second-tier';

export interface SingleFlightTiming {
  /** The lock's TTL, renewed while its holder works: how long a dead holder can keep others waiting. */
  lockTtlMs: number;
  /** The longest a replica waits for another's call before making its own. */
  maxWaitMs: number;
  /** The backstop poll between pub/sub wake-ups (which a broken subscription would miss). */
  pollMs: number;
}

/**
 * A miss to resolve: the key, the kind of answer, a check that an entry suits this request (its kind
 * included), and how to produce and store.
 */
export interface FlightRequest<A extends AnsweredBy> {
  key: string;
  kind: AnswerKind<A>;
  usable(entry: CacheEntry): boolean;
  produce(): Promise<A>;
  /** Stores the answer and, given the lock's token, releases it and rings the waiters (one round trip). */
  commit(answer: A | undefined, lockToken?: string): Promise<void>;
}

export interface FlightOutcome<A extends AnsweredBy> {
  answer: A;
  /** The answer as an entry: its `costUsd` is what the original call cost. */
  entry: CacheEntry;
  /** True when this request's own provider call made the answer (MISS); false when it reused one (HIT). */
  produced: boolean;
}

/**
 * Identical concurrent misses make one provider call.
 *
 * In this process the first miss for a key starts a flight and later ones await the same promise; across
 * replicas the flight first takes a short Redis lock (SET NX PX, renewed while the call runs). A replica
 * that finds the lock held waits for the holder's `filled` event (or polls), then reads the entry;
 * if the holder failed or died (lock gone, no entry) or the wait runs past its bound, it calls the
 * provider itself. So a fleet makes one call per key, at worst one per replica, and never fails a
 * request because another one did not finish. A provider's refusal (a GatewayError) is every twin's
 * answer; a flight that died for its own request's reasons (its client went away) is not, and a twin
 * then calls for itself.
 *
 * Only plans with `shared` come here: a caller whose cache is off, `bypass` and `refresh` never join a
 * flight and never start one another could join.
 */
export class SingleFlight {
  private readonly flights = new Map<string, Promise<FlightOutcome<AnsweredBy>>>();

  constructor(
    private readonly tier: SecondTier,
    private readonly bus: CacheBus,
    private readonly timing: SingleFlightTiming,
  ) {}

  async run<A extends AnsweredBy>(request: FlightRequest<A>): Promise<FlightOutcome<A>> {
    const running = this.flights.get(request.key);
    if (running) return this.join(running, request);
    const flight = this.lead(request);
    this.flights.set(request.key, flight);
    const forget = (): void => {
      if (this.flights.get(request.key) === flight) this.flights.delete(request.key);
    };
    flight.then(forget, forget);
    return flight;
  }

  /** A flight under the same key may be of another kind (a shared `x-cache-key`): `usable` says no then. */
  private async join<A extends AnsweredBy>(
    running: Promise<FlightOutcome<AnsweredBy>>,
    request: FlightRequest<A>,
  ): Promise<FlightOutcome<A>> {
    try {
      const { entry } = await running;
      const answer = request.usable(entry) ? request.kind.answerOf(entry) : undefined;
      if (answer) return { answer, entry, produced: false };
    } catch (error) {
      if (error instanceof GatewayError) throw error;
    }
    return this.produce(request);
  }

  private async lead<A extends AnsweredBy>(request: FlightRequest<A>): Promise<FlightOutcome<A>> {
    const token = randomUUID();
    const lock = await this.tier.lock(request.key, token, this.timing.lockTtlMs);
    if (lock === 'held') {
      const entry = await this.awaitHolder(request);
      const answer = entry && request.kind.answerOf(entry);
      if (entry && answer) return { answer, entry, produced: false };
      return this.produce(request);
    }
    return this.produce(request, lock === 'acquired' ? token : undefined);
  }

  private async produce<A extends AnsweredBy>(
    request: FlightRequest<A>,
    lockToken?: string,
  ): Promise<FlightOutcome<A>> {
    const renew = lockToken
      ? setInterval(
          () => void this.tier.extend(request.key, lockToken, this.timing.lockTtlMs),
          this.timing.lockTtlMs / 3,
        )
      : undefined;
    renew?.unref();
    let answer: A;
    try {
      answer = await request.produce();
    } catch (error) {
      clearInterval(renew);
      if (lockToken) await request.commit(undefined, lockToken);
      throw error;
    }
    clearInterval(renew);
    await request.commit(answer, lockToken);
    return { answer, entry: request.kind.entryOf(answer, 0), produced: true };
  }

  /** The holder's entry once it lands; undefined when the holder is gone without one or the wait is over. */
  private async awaitHolder<A extends AnsweredBy>(
    request: FlightRequest<A>,
  ): Promise<CacheEntry | undefined> {
    const deadline = Date.now() + this.timing.maxWaitMs;
    const waiter = this.bus.waitFor(request.key);
    try {
      for (;;) {
        const state = await this.tier.peek(request.key);
        if (!state) return undefined;
        const { entry } = state;
        if (entry && entry.expiresAt > Date.now() && request.usable(entry)) return entry;
        if (!state.locked) return undefined;
        const left = deadline - Date.now();
        if (left <= 0) return undefined;
        await waiter.next(Math.min(this.timing.pollMs, left));
      }
    } finally {
      waiter.cancel();
    }
  }
}
