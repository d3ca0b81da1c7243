/**
 * Every Redis key of the lib, spelled once. Caller ids never contain `:` (the callers file allows only
 * `A-Z a-z 0-9 _ . -`), so `<caller>:<end user>` cannot collide with another caller's key whatever the
 * end user id holds; each kind of key has its own prefix so an end user named like a suffix cannot either.
 */
export const KEY_PREFIX = 'bw';

/** Request counter of one fixed window (`bw:win:caller:minute:<caller>`), expiring when the window ends. */
export function windowKey(scope: string, window: string, key: string): string {
  return `${KEY_PREFIX}:win:${scope}:${window}:${key}`;
}

/**
 * The subject of the gateway-wide limits (all callers together): `@` is in no caller id, and an end
 * user's subject always starts with its caller's id, so no caller or end user can be named like it.
 */
export const GLOBAL_SUBJECT = '@all';

/** The subject of a limit: the caller, or one end user of it. */
export function subjectOf(callerId: string, endUser?: string): string {
  return endUser === undefined ? callerId : `${callerId}:${endUser}`;
}

/** Sorted set of the concurrency slots in flight, scored by lease expiry. */
export function slotsKey(subject: string): string {
  return `${KEY_PREFIX}:conc:${subject}`;
}

/** Hash of one day's spend and reserved totals (and each reservation's amount) of a subject. */
export function budgetKey(day: string, subject: string): string {
  return `${KEY_PREFIX}:budget:h:${day}:${subject}`;
}

/** Sorted set of one day's pending reservations of a subject, scored by lease expiry. */
export function reservationsKey(day: string, subject: string): string {
  return `${KEY_PREFIX}:budget:r:${day}:${subject}`;
}
