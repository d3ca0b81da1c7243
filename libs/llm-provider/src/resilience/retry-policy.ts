/**
 * Exponential backoff with full jitter (a random delay in [0, base·2^(attempt−1)]), so retries from
 * many callers spread out instead of arriving together; a provider's Retry-After is a floor.
 */
export function backoffDelayMs(
  attempt: number,
  baseDelayMs: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const ceiling = baseDelayMs * 2 ** Math.max(0, attempt - 1);
  const jittered = Math.floor(random() * ceiling);
  return Math.max(jittered, retryAfterMs ?? 0);
}
