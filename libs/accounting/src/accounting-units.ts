/** The UTC day of `at`, `2025-11-23`: budgets and daily usage roll over at UTC midnight. */
export function utcDay(at: number | Date): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** The UTC month of `at`, `2025-11`. */
export function utcMonth(at: number | Date): string {
  return new Date(at).toISOString().slice(0, 7);
}

/** USD as Redis stores it: fixed point to the pico-dollar, never exponent notation. */
export function usdString(usd: number): string {
  return usd.toFixed(12);
}
