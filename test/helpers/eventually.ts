/**
 * Polls `check` every 100 ms until it gives something other than `undefined` or `false`, and returns
 * that; fails after `timeoutMs`. A check that throws counts as "not yet" (a process restarting, Redis
 * coming back), and the timeout's message carries the last such error.
 */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`condition not reached in ${timeoutMs} ms${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
