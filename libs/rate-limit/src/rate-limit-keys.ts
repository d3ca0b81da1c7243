/**
 * Every Redis key of the lib, spelled once. Caller ids never contain `:` (the callers file allows only
 * `A-Z a-z 0-9 _ . -`), so `<caller>:<end user>` cannot collide with another caller's key whatever the
 * end user id holds; each kind of key has its own prefix so an end user named like a suffix cannot either.
 *
 * On a Redis Cluster a script may only touch keys of one slot, so the keys a script needs together for one
 * subject share a slot through a hash tag (the part of a name between its first `{` and the next `}`, when
 * not empty, is all that is hashed). An end user id may hold `{` and `}` too: each rule below says why the
 * tag still comes out the same for every key of the subject.
 */
export const KEY_PREFIX = 'bw';

/**
 * Request counter of one fixed window (`bw:win:{caller:<caller>}:minute`), expiring when the window ends.
 * The tag opens right after the fixed `bw:win:` and the windows of one scope and subject differ only after
 * it, so they share a slot whatever the subject holds (a `}` in it only ends their common tag early).
 * Before 2026-11-30 the counters were `bw:win:<scope>:<window>:<key>`: they restart once at the upgrade.
 */
export function windowKey(scope: string, window: string, key: string): string {
  return `${KEY_PREFIX}:win:{${scope}:${key}}:${window}`;
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

/** Sorted set of the concurrency slots in flight, scored by lease expiry: one key per subject. */
export function slotsKey(subject: string): string {
  return `${KEY_PREFIX}:conc:${subject}`;
}

/**
 * Hash of one day's spend and reserved totals (and each reservation's amount) of a subject:
 * `bw:budget:h:<day>:<subject>`, the name it has always had, so a day's spend survives an upgrade. A name
 * holding no `}` has no hash tag, so Redis hashes all of it and `{<name>}` (reservationsKey) lands on its
 * slot. The rare subject with a `}` (an end user id) is spelled URI-encoded under `bw:budget:hu:` instead,
 * which holds no `}` and cannot meet a plain name.
 */
export function budgetKey(day: string, subject: string): string {
  if (!subject.includes('}')) return `${KEY_PREFIX}:budget:h:${day}:${subject}`;
  return `${KEY_PREFIX}:budget:hu:${day}:${encodeURIComponent(subject)}`;
}

/**
 * Sorted set of one day's pending reservations of a subject, scored by lease expiry: its hash's whole name
 * as the tag, so both are in one slot. Before 2026-11-30 it was `bw:budget:r:<day>:<subject>`.
 */
export function reservationsKey(day: string, subject: string): string {
  return `{${budgetKey(day, subject)}}:r`;
}
