import fc from 'fast-check';
import { MAX_JSON_VALUES, jsonShapeProblem } from './bounded-json.parser';

const nestsDeeperThan = (json: string, maxDepth: number): boolean =>
  jsonShapeProblem(json, maxDepth, Infinity) === 'depth';

/** Depth as JSON counts it: each object or array one level; scalars none. */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + children.reduce<number>((deepest, child) => Math.max(deepest, depthOf(child)), 0);
}

describe('nestsDeeperThan', () => {
  it.each([
    ['{}', 1, false],
    ['{}', 0, true],
    ['[[[]]]', 3, false],
    ['[[[]]]', 2, true],
    ['{"a":[{"b":[]}]}', 4, false],
    ['{"a":[{"b":[]}]}', 3, true],
    ['"[[[[[["', 1, false],
    ['{"a":"\\"[[[["}', 1, false],
    ['{"a":"\\\\","b":[[]]}', 2, true],
    ['[1,2,3][4]', 1, false],
  ])('%s within %i: deeper is %s', (json, maxDepth, deeper) => {
    expect(nestsDeeperThan(json, maxDepth)).toBe(deeper);
  });

  it('agrees with the parsed depth for any JSON value, escapes and unicode included', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 9 }), (value, maxDepth) => {
        expect(nestsDeeperThan(JSON.stringify(value), maxDepth)).toBe(depthOf(value) > maxDepth);
      }),
      { seed: 8_011, numRuns: 2_000 },
    );
  });

  it('scans a 50,000-deep megabyte in one pass, without recursion', () => {
    const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
    const started = performance.now();
    expect(nestsDeeperThan(deep, 64)).toBe(true);
    expect(nestsDeeperThan(`["${'x'.repeat(1_000_000)}"]`, 64)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('jsonShapeProblem', () => {
  it('counts values outside strings and refuses past the cap, after the depth check', () => {
    const many = `[${Array.from({ length: 5 }, () => '{"k":0}').join(',')}]`;
    expect(jsonShapeProblem(many, 64, 11)).toBeUndefined();
    expect(jsonShapeProblem(many, 64, 10)).toBe('values');
    expect(jsonShapeProblem(`["${',{['.repeat(1000)}"]`, 64, 10)).toBeUndefined();
    expect(jsonShapeProblem('[[[[1]]]]', 3, 100)).toBe('depth');
    expect(jsonShapeProblem(`[${'0,'.repeat(MAX_JSON_VALUES)}0]`, 64)).toBe('values');
  });
});
