import { createHash } from 'node:crypto';

/** JSON nesting levels of a caller's schema (objects and arrays), counted from its root. */
export const MAX_SCHEMA_DEPTH = 64;
/**
 * JSON values in a caller's schema (every object, array, string, number, boolean and null): room for a
 * structured-output schema of a few hundred properties (zod's output for 300 plain fields is ~2,000 values).
 * ajv compiles in the event loop at up to ~0.2 ms of CPU per value for keyword-dense schemas (5,000 values
 * of the worst shape took 1 s on a 2-core VM); a compiled schema is then kept by its hash.
 */
export const MAX_SCHEMA_NODES = 2500;
/**
 * Compilation cost of all the schema's patterns together, in units of roughly 1 ms of CPU (see
 * patternCost). RE2 runs in linear time but compiles in the event loop, and some short patterns are
 * large programs: `^.{1,100}$` takes 90 ms, `^\p{L}{1,10}$` 220 ms.
 */
export const MAX_PATTERN_COST = 100;

export type SchemaMeasure = { ok: true; hash: string } | { ok: false; problem: string };

/**
 * Measures a caller's schema before anything compiles it: depth, values and patterns first, walking
 * iteratively and stopping at the first bound crossed (so a hostile document costs at most the budget),
 * then its serialised size against `maxBytes`. An admitted schema gets its identity: the sha256 of its
 * canonical text (keys sorted at every depth), so the same schema written in another key order shares
 * one compiled validator, and the cache keeps 64 hex characters per entry rather than the schema.
 */
export function measureSchema(schema: unknown, maxBytes: number): SchemaMeasure {
  let nodes = 0;
  let patternsCost = 0;
  const pending: { value: unknown; depth: number }[] = [{ value: schema, depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, depth } = next;
    if (++nodes > MAX_SCHEMA_NODES) {
      return {
        ok: false,
        problem: `the schema has more than ${MAX_SCHEMA_NODES} values; at most ${MAX_SCHEMA_NODES}`,
      };
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_SCHEMA_DEPTH) {
      return { ok: false, problem: `the schema is nested too deep; at most ${MAX_SCHEMA_DEPTH} levels` };
    }
    const children = Array.isArray(value) ? value : Object.values(value);
    if (!Array.isArray(value)) {
      const record = value as Record<string, unknown>;
      if (typeof record.pattern === 'string') patternsCost += patternCost(record.pattern);
      const patternProperties = record.patternProperties;
      if (typeof patternProperties === 'object' && patternProperties !== null) {
        for (const pattern of Object.keys(patternProperties)) patternsCost += patternCost(pattern);
      }
      if (patternsCost > MAX_PATTERN_COST) {
        return {
          ok: false,
          problem: `the schema's patterns are too costly to compile (counted repetitions such as {1,100} and \\p{...} classes weigh most); at most ${MAX_PATTERN_COST} units`,
        };
      }
    }
    for (const child of children) pending.push({ value: child, depth: depth + 1 });
  }
  const text = canonicalText(schema);
  const bytes = Buffer.byteLength(text);
  if (bytes > maxBytes) {
    return {
      ok: false,
      problem: `the schema is ${bytes} bytes; at most ${maxBytes} (MAX_SCHEMA_BYTES)`,
    };
  }
  return { ok: true, hash: createHash('sha256').update(text).digest('hex') };
}

function canonicalText(schema: unknown): string {
  return JSON.stringify(schema, (_key, value: unknown) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    // fromEntries defines own properties, so a `__proto__` key stays a key (and part of the hash).
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((key) => [key, record[key]]),
    );
  });
}

/**
 * An estimate of RE2's compile time for one pattern, in units of about 1 ms of CPU, fitted on
 * re2-wasm: a base cost, the length, each counted repetition's bound (RE2 copies the repeated atom that
 * many times), and Unicode property classes (`\p{L}` alone is thousands of instructions, and is copied
 * by any repetition around it). Conservative where it is wrong: `[a-z]{1,100}` counts as `.{1,100}`.
 */
export function patternCost(pattern: string): number {
  let repeats = 0;
  for (const match of pattern.matchAll(/\{(\d+)(?:,(\d*))?\}/g)) {
    repeats += Number(match[2] || match[1]);
  }
  const properties = pattern.match(/\\[pP]\{/g)?.length ?? 0;
  return 1 + pattern.length / 100 + repeats * (1 + 25 * properties) + 60 * properties;
}
