/**
 * `value` as it comes back out of a queue or a Redis hash: through JSON, so class instances, undefined
 * fields and functions are gone. The result is typed as the input because that is what the receiving
 * code is declared to take.
 */
export function asPlainData<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
