import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { utcDay } from '@breakwater/accounting';
import { AppConfig } from '@breakwater/config';
import { Caller, CallerLimits, ChatCompletionRequest, GatewayError, ProviderId } from '@breakwater/contracts';
import { Pricing } from '@breakwater/llm-provider';
import { Metrics } from '@breakwater/observability';
import { BudgetLedger, BudgetReservation } from './budget-ledger';
import { BudgetRefusal, DayBudget, secondsUntilUtcMidnight } from './budget-rule';
import { ConcurrencySlots, HeldSlots, SlotSpec } from './concurrency-slots';
import { SpendEstimate, estimateOf } from './estimate';
import {
  RateLimitHeaders,
  WindowState,
  headersOf,
  refunded,
  retryAfterOf,
  tightestWindow,
} from './rate-limit-headers';
import { GLOBAL_SUBJECT, subjectOf } from './rate-limit-keys';
import { WindowLimiters, WindowName, WindowSpec } from './window-limiters';

/** A model a request may be answered by (the model asked for, or a fallback), as resolved. */
export interface PricedRoute {
  provider: ProviderId;
  model: string;
}

/** What admit() grants a request. */
export interface Admission {
  /** The tightest window after this request (also passed to `onHeaders`). */
  headers: RateLimitHeaders;
  /** Present when the caller or its end user has a budget: settle() or cancel() it when the request ends. */
  reservation?: BudgetReservation;
  /** Frees the concurrency slot(s); idempotent, never throws. Call it in a `finally`. */
  release(): void;
  /** Settles the reservation (if any) with the real spend; only the first settle/cancel counts. */
  settle(actual: SpendEstimate): Promise<void>;
  /** Drops the reservation (if any) without spend, unless it was settled or handed over: safe in a `finally`. */
  cancel(): Promise<void>;
  /**
   * Hands the reservation over to a queued job (returned for its data) and makes this admission's
   * settle() and cancel() no-ops: whoever runs the job settles it with Limits.settle().
   */
  handOver(): BudgetReservation | undefined;
  /**
   * Set when the request was admitted without a slot because GLOBAL_CONCURRENCY was full (and only that
   * refused it), which admit() allows only when asked (`queueWhenSaturated`): the request is to be queued,
   * not sent to a provider now. Its windows and budget reservation are held as for any admitted request.
   */
  saturated?: string;
}

/** How admit() treats a request refused only by GLOBAL_CONCURRENCY. */
export interface AdmitOptions {
  /** Admit it without a slot, `saturated`, so the request path queues it (queue_if_unavailable, async). */
  queueWhenSaturated?: boolean;
}

/** A slot of GLOBAL_CONCURRENCY held by a queued job's run; release() is idempotent. */
export interface GlobalSlot {
  release(): void;
}

/** The `scope` label of rate_limit_rejections_total. */
export type RejectionScope = 'caller' | 'end_user' | 'global' | 'concurrency' | 'budget' | 'provider';

interface Refusal {
  scope: RejectionScope;
  retryAfterSeconds: number;
  error: GatewayError;
  /** Refused by GLOBAL_CONCURRENCY alone so far: the one refusal a request may be queued on. */
  saturation?: boolean;
}

/** While only requests in flight hold a budget, they may settle for less: try again shortly. */
const IN_FLIGHT_RETRY_SECONDS = 1;
/** Slots free as requests end, which nothing predicts: a second is a polite guess. */
const CONCURRENCY_RETRY_SECONDS = 1;

const PER_WINDOW: [keyof CallerLimits, WindowName][] = [
  ['per_minute', 'minute'],
  ['per_hour', 'hour'],
  ['per_day', 'day'],
];

/**
 * The limits step of the request path: request windows (caller, end user, global), concurrency slots and
 * day budgets (caller, end user, global), all decided before any provider work, so a refused request never
 * reaches a provider. The global limits (GLOBAL_*) are one more subject in the same stores, so they are shared
 * by every replica exactly as a caller's are; a refusal by one of them has scope `global`.
 *
 * The three stores are asked in parallel (one round trip of latency). If any refuses, what the others
 * granted is given back before answering: the windows' counts, the slots and the reservation. A refused
 * request therefore costs its caller nothing, and a runaway caller hammering at its own limit cannot use
 * up the global window or its end users' for everyone else.
 *
 * Headers travel by the `onHeaders` callback, called exactly once before admit() returns or throws, so
 * the request path sets them on the reply and they are on the 429 as well.
 */
@Injectable()
export class Limits {
  constructor(
    private readonly config: AppConfig,
    private readonly windows: WindowLimiters,
    private readonly slots: ConcurrencySlots,
    private readonly ledger: BudgetLedger,
    private readonly metrics: Metrics,
    private readonly pricing: Pricing,
  ) {}

  /**
   * What `request` is reserved at admit(): its estimate (see estimateOf) at the dearest price among `route`
   * and its `fallbacks`, since any of them may answer. A model without a price would cost 0 and pass every
   * USD budget, so while one judges the request (usdBudgetApplies) each route must have a price: else 400
   * naming `model` or `x-fallback-models`, thrown before anything is counted or reserved.
   */
  estimate(
    caller: Caller,
    endUser: string | undefined,
    request: ChatCompletionRequest,
    route: PricedRoute,
    fallbacks: PricedRoute[] = [],
  ): SpendEstimate {
    const priceRequired = this.usdBudgetApplies(caller, endUser);
    let dearest = estimateOf(request);
    [route, ...fallbacks].forEach(({ provider, model }, index) => {
      const price = this.pricing.price(provider, model);
      if (!price && priceRequired) {
        const param = index === 0 ? 'model' : 'x-fallback-models';
        throw GatewayError.invalid(
          param,
          `${param}: "${provider}/${model}" has no price, and a daily USD budget (${budgetHolderOf(caller, endUser)}) cannot count what it costs; use a priced model (GET /v1/providers lists them) or ask the operator to price it in PRICING_FILE`,
        );
      }
      const estimate = estimateOf(request, price);
      if (estimate.costUsd > dearest.costUsd) dearest = estimate;
    });
    return dearest;
  }

  /**
   * Counts the request against every window, takes a concurrency slot, reserves `estimate` (see
   * estimateOf) against the day's budgets. Throws GatewayError RATE_LIMITED or BUDGET_EXCEEDED with
   * retryAfterSeconds.
   */
  async admit(
    caller: Caller,
    endUser: string | undefined,
    estimate: SpendEstimate,
    onHeaders: (headers: RateLimitHeaders) => void,
    options: AdmitOptions = {},
  ): Promise<Admission> {
    const now = Date.now();
    const windowSpecs = this.windowsOf(caller, endUser);
    const slotSpecs = this.slotsOf(caller, endUser);
    const budgets = this.budgetsOf(caller, endUser);
    const [states, slots, budget] = await Promise.all([
      this.windows.consume(windowSpecs),
      slotSpecs.length > 0 ? this.slots.acquire(slotSpecs, now) : undefined,
      budgets
        ? this.ledger.reserve(
            {
              id: randomUUID(),
              callerId: caller.id,
              ...(endUser !== undefined ? { endUser } : {}),
              ...(this.globalBudget() ? { global: true } : {}),
              day: utcDay(now),
              tokens: Math.max(0, Math.round(estimate.tokens)),
              costUsd: Math.max(0, estimate.costUsd),
            },
            budgets,
            now,
          )
        : undefined,
    ]);
    const held = slots && 'held' in slots ? slots.held : undefined;
    const reservation = budget && 'reservation' in budget ? budget.reservation : undefined;
    const refusals = [
      budget && 'refused' in budget ? budgetRefusalOf(budget.refused, caller, endUser, now) : undefined,
      windowRefusalOf(states, caller, endUser),
      slots && 'refused' in slots ? concurrencyRefusalOf(slots.refused, caller, endUser) : undefined,
    ].filter((candidate) => candidate !== undefined);
    const refusal = longestRefusal(refusals);
    const saturated = refusals.length === 1 && refusal?.saturation && options.queueWhenSaturated;
    if (!refusal || saturated) {
      const headers = headersOf(tightestWindow(states));
      onHeaders(headers);
      const admission = this.admissionOf(headers, held, reservation);
      return refusal ? { ...admission, saturated: refusal.error.message } : admission;
    }
    await Promise.all([
      this.windows.refund(windowSpecs),
      held ? this.slots.release(held) : undefined,
      reservation ? this.cancel(reservation) : undefined,
    ]);
    onHeaders(headersOf(tightestWindow(refunded(states))));
    this.metrics.rateLimitRejections.inc({ scope: refusal.scope });
    throw refusal.error;
  }

  /**
   * A slot of GLOBAL_CONCURRENCY for a queued job about to call a provider, or undefined when all are
   * taken (the job waits and tries again). Without GLOBAL_CONCURRENCY every job gets one that holds nothing.
   */
  async globalSlot(now = Date.now()): Promise<GlobalSlot | undefined> {
    const limit = this.config.rateLimit.globalConcurrency;
    if (limit === 0) return { release: noop };
    const outcome = await this.slots.acquire([{ subject: GLOBAL_SUBJECT, limit }], now);
    if ('refused' in outcome) return undefined;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        void this.slots.release(outcome.held);
      },
    };
  }

  /** Replaces the reservation with the real spend (tokens = prompt + completion). Works from any process; a repeat does nothing. */
  settle(reservation: BudgetReservation, actual: SpendEstimate): Promise<void> {
    return this.ledger.settle(reservation, {
      tokens: Math.max(0, Math.round(actual.tokens)),
      costUsd: Math.max(0, actual.costUsd),
    });
  }

  /** Drops the reservation without spend: the call failed before any provider work. */
  cancel(reservation: BudgetReservation): Promise<void> {
    return this.ledger.settle(reservation, { tokens: 0, costUsd: 0 });
  }

  /** The headers as they stand, counting nothing: for `/v1` answers that are not LLM requests. */
  async peek(caller: Caller, endUser?: string): Promise<RateLimitHeaders> {
    const states = await this.windows.peek(this.windowsOf(caller, endUser));
    return headersOf(tightestWindow(states));
  }

  private admissionOf(
    headers: RateLimitHeaders,
    held: HeldSlots | undefined,
    reservation: BudgetReservation | undefined,
  ): Admission {
    let released = false;
    let open = reservation !== undefined;
    // settle, cancel and handOver share one latch: whichever comes first owns the reservation.
    const take = (): BudgetReservation | undefined => {
      const pending = open ? reservation : undefined;
      open = false;
      return pending;
    };
    return {
      headers,
      ...(reservation ? { reservation } : {}),
      release: () => {
        if (released || !held) return;
        released = true;
        void this.slots.release(held);
      },
      settle: async (actual) => {
        const pending = take();
        if (pending) await this.settle(pending, actual);
      },
      cancel: async () => {
        const pending = take();
        if (pending) await this.cancel(pending);
      },
      handOver: take,
    };
  }

  /**
   * Whether a USD budget judges a request of `caller` (and `endUser`): the caller's own, or its end
   * user's when the request names one (without `x-end-user` no end-user budget applies), or the gateway's.
   */
  private usdBudgetApplies(caller: Caller, endUser: string | undefined): boolean {
    return this.budgetsOf(caller, endUser)?.some((budget) => budget.costUsd !== undefined) ?? false;
  }

  /** GLOBAL_TOKENS_PER_DAY and GLOBAL_COST_USD_PER_DAY as a day budget, or undefined when neither is set. */
  private globalBudget(): DayBudget | undefined {
    const { globalTokensPerDay, globalCostUsdPerDay } = this.config.rateLimit;
    if (globalTokensPerDay === 0 && globalCostUsdPerDay === 0) return undefined;
    return {
      ...(globalTokensPerDay > 0 ? { tokens: globalTokensPerDay } : {}),
      ...(globalCostUsdPerDay > 0 ? { costUsd: globalCostUsdPerDay } : {}),
    };
  }

  /**
   * The day budgets in the ledger's subject order (caller, end user when named, gateway when set; see
   * BudgetReservation), or undefined when none of them has one.
   */
  private budgetsOf(caller: Caller, endUser: string | undefined): DayBudget[] | undefined {
    const own = callerBudgetsOf(caller, endUser);
    const global = this.globalBudget();
    if (!global) return own;
    return [...(own ?? [budgetOf(caller.limits), ...(endUser !== undefined ? [{}] : [])]), global];
  }

  private slotsOf(caller: Caller, endUser: string | undefined): SlotSpec[] {
    const specs = callerSlotsOf(caller, endUser);
    const global = this.config.rateLimit.globalConcurrency;
    if (global > 0) specs.push({ subject: GLOBAL_SUBJECT, limit: global });
    return specs;
  }

  private windowsOf(caller: Caller, endUser: string | undefined): WindowSpec[] {
    const specs: WindowSpec[] = [];
    const callerLimits = {
      ...caller.limits,
      // RATE_LIMIT_PER_MINUTE=0: no default window, only the caller's own.
      per_minute: caller.limits.per_minute ?? (this.config.rateLimit.perMinute || undefined),
    };
    for (const [field, window] of PER_WINDOW) {
      const limit = callerLimits[field];
      if (limit !== undefined) specs.push({ scope: 'caller', window, limit, key: subjectOf(caller.id) });
      const endUserLimit = caller.endUserLimits[field];
      if (endUser !== undefined && endUserLimit !== undefined) {
        specs.push({ scope: 'end_user', window, limit: endUserLimit, key: subjectOf(caller.id, endUser) });
      }
    }
    const { globalPerMinute, globalPerHour } = this.config.rateLimit;
    if (globalPerMinute > 0)
      specs.push({ scope: 'global', window: 'minute', limit: globalPerMinute, key: 'all' });
    if (globalPerHour > 0) specs.push({ scope: 'global', window: 'hour', limit: globalPerHour, key: 'all' });
    return specs;
  }
}

function callerSlotsOf(caller: Caller, endUser: string | undefined): SlotSpec[] {
  const specs: SlotSpec[] = [];
  if (caller.limits.concurrency !== undefined) {
    specs.push({ subject: subjectOf(caller.id), limit: caller.limits.concurrency });
  }
  if (endUser !== undefined && caller.endUserLimits.concurrency !== undefined) {
    specs.push({ subject: subjectOf(caller.id, endUser), limit: caller.endUserLimits.concurrency });
  }
  return specs;
}

/** The day budgets of the caller and (when named) its end user, or undefined when neither has one. */
function callerBudgetsOf(caller: Caller, endUser: string | undefined): DayBudget[] | undefined {
  const callerBudget = budgetOf(caller.limits);
  const endUserBudget = endUser !== undefined ? budgetOf(caller.endUserLimits) : {};
  const none = (budget: DayBudget) => budget.tokens === undefined && budget.costUsd === undefined;
  if (none(callerBudget) && none(endUserBudget)) return undefined;
  return endUser !== undefined ? [callerBudget, endUserBudget] : [callerBudget];
}

function budgetOf(limits: CallerLimits): DayBudget {
  return {
    ...(limits.tokens_per_day !== undefined ? { tokens: limits.tokens_per_day } : {}),
    ...(limits.cost_usd_per_day !== undefined ? { costUsd: limits.cost_usd_per_day } : {}),
  };
}

/** Whose USD budget requires a price, for the 400's message. */
function budgetHolderOf(caller: Caller, endUser: string | undefined): string {
  const own = caller.limits.cost_usd_per_day !== undefined;
  if (endUser !== undefined && caller.endUserLimits.cost_usd_per_day !== undefined) {
    return own ? `caller "${caller.id}" and end user "${endUser}"` : `end user "${endUser}"`;
  }
  return `caller "${caller.id}"`;
}

/** How a refusal names the gateway-wide limits: the `global` scope, for a person. */
const GLOBAL_WHO = 'all callers together (scope global: the gateway-wide limit)';

function whoOf(scope: string, caller: Caller, endUser: string | undefined): string {
  if (scope === 'global') return GLOBAL_WHO;
  if (scope === 'end_user') return `end user "${endUser}" of caller "${caller.id}"`;
  return `caller "${caller.id}"`;
}

/** The refusal that makes the caller wait longest (the first listed on a tie), if any. */
function longestRefusal(candidates: (Refusal | undefined)[]): Refusal | undefined {
  let longest: Refusal | undefined;
  for (const candidate of candidates) {
    if (candidate && (!longest || candidate.retryAfterSeconds > longest.retryAfterSeconds))
      longest = candidate;
  }
  return longest;
}

function budgetRefusalOf(
  refused: { index: number; refusal: BudgetRefusal },
  caller: Caller,
  endUser: string | undefined,
  now: number,
): Refusal {
  const { index, refusal } = refused;
  // The ledger's subject order: caller, end user when named, the gateway last.
  const global = index === (endUser !== undefined ? 2 : 1);
  const who = global ? GLOBAL_WHO : index === 0 ? `caller "${caller.id}"` : `end user "${endUser}"`;
  const what = refusal.kind === 'tokens' ? 'token' : 'cost (USD)';
  const retryAfterSeconds = refusal.spent ? secondsUntilUtcMidnight(now) : IN_FLIGHT_RETRY_SECONDS;
  const message = refusal.spent
    ? `the daily ${what} budget of ${who} is spent; it renews at 00:00 UTC`
    : `the daily ${what} budget of ${who} is held by requests in flight; retry when they finish`;
  return {
    scope: global ? 'global' : 'budget',
    retryAfterSeconds,
    error: new GatewayError('BUDGET_EXCEEDED', message, { retryAfterSeconds }),
  };
}

function windowRefusalOf(
  states: WindowState[],
  caller: Caller,
  endUser: string | undefined,
): Refusal | undefined {
  const binding = tightestWindow(states.filter((state) => state.refused));
  if (!binding) return undefined;
  const retryAfterSeconds = retryAfterOf(states);
  const message = `rate limit reached: ${binding.limit} requests per ${binding.window} for ${whoOf(binding.scope, caller, endUser)}`;
  return {
    scope: binding.scope,
    retryAfterSeconds,
    error: new GatewayError('RATE_LIMITED', message, { retryAfterSeconds }),
  };
}

function concurrencyRefusalOf(refused: SlotSpec, caller: Caller, endUser: string | undefined): Refusal {
  const global = refused.subject === GLOBAL_SUBJECT;
  const who = global
    ? GLOBAL_WHO
    : refused.subject === caller.id
      ? `caller "${caller.id}"`
      : `end user "${endUser}"`;
  return {
    scope: global ? 'global' : 'concurrency',
    saturation: global,
    retryAfterSeconds: CONCURRENCY_RETRY_SECONDS,
    error: new GatewayError(
      'RATE_LIMITED',
      `concurrency limit reached: ${refused.limit} requests in flight for ${who}`,
      {
        retryAfterSeconds: CONCURRENCY_RETRY_SECONDS,
      },
    ),
  };
}

function noop(): void {}
