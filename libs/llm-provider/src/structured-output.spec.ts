import { GatewayError } from '@breakwater/contracts';
import { testConfig } from '@breakwater/testing';
import { MAX_PATTERN_COST, MAX_SCHEMA_DEPTH, MAX_SCHEMA_NODES, patternCost } from './schema-budget';
import { StructuredOutput } from './structured-output';

const schema = {
  type: 'object',
  properties: { score: { type: 'integer', minimum: 1, maximum: 5 } },
  required: ['score'],
  additionalProperties: false,
};
const format = (body: Record<string, unknown>) => ({
  type: 'json_schema' as const,
  json_schema: { name: 'grade', schema: body },
});

function refusal(output: StructuredOutput, body: Record<string, unknown>): GatewayError {
  try {
    output.prepare(format(body));
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('the schema was accepted');
}

/** Milliseconds `run` blocked the event loop for. */
function timed(run: () => void): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

describe('StructuredOutput', () => {
  const output = new StructuredOutput(testConfig());

  it('accepts anything for text and no format', () => {
    expect(output.check(undefined, 'plain')).toEqual({ ok: true });
    expect(output.check({ type: 'text' }, 'plain')).toEqual({ ok: true });
  });

  it('wants a JSON object for json_object', () => {
    expect(output.check({ type: 'json_object' }, '{"a":1}')).toEqual({ ok: true });
    expect(output.check({ type: 'json_object' }, 'not json')).toEqual({
      ok: false,
      problem: 'the answer is not valid JSON',
    });
    expect(output.check({ type: 'json_object' }, '[1]')).toMatchObject({ ok: false });
    expect(output.check({ type: 'json_object' }, null)).toMatchObject({ ok: false });
  });

  it('validates json_schema answers and says what is wrong', () => {
    expect(output.check(format(schema), '{"score":3}')).toEqual({ ok: true });
    const wrong = output.check(format(schema), '{"score":9,"extra":true}');
    expect(wrong.ok).toBe(false);
    expect(!wrong.ok && wrong.problem).toContain('score');
    expect(!wrong.ok && wrong.problem).toContain('additional');
  });

  it('reports an uncompilable schema before any call as a 400 naming the schema', () => {
    expect(() => output.prepare(format(schema))).not.toThrow();
    const error = refusal(output, { type: 'nonsense' });
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.param).toBe('response_format.json_schema.schema');
    expect(error.message).toContain('type');
  });

  it('runs a catastrophic-backtracking pattern in linear time on 30 characters and on 100 KB', () => {
    const redos = format({
      type: 'object',
      properties: { word: { type: 'string', pattern: '^(a+)+$' } },
    });
    output.prepare(redos);
    for (const length of [30, 100_000]) {
      const answer = JSON.stringify({ word: `${'a'.repeat(length)}!` });
      let result: ReturnType<StructuredOutput['check']> = { ok: true };
      const ms = timed(() => (result = output.check(redos, answer)));
      expect(result).toMatchObject({ ok: false });
      expect(ms).toBeLessThan(1000);
    }
    expect(output.check(redos, JSON.stringify({ word: 'aaaa' }))).toEqual({ ok: true });
  });

  it('applies patternProperties on RE2 too', () => {
    const keyed = format({ type: 'object', patternProperties: { '^(a+)+$': { type: 'integer' } } });
    expect(output.check(keyed, JSON.stringify({ aaa: 'text' }))).toMatchObject({ ok: false });
    const ms = timed(() => output.check(keyed, JSON.stringify({ [`${'a'.repeat(50_000)}!`]: 'text' })));
    expect(ms).toBeLessThan(1000);
  });

  it.each([
    ['a backreference', '^(a)\\1$'],
    ['a lookahead', '^(?=a)a$'],
  ])('refuses %s (RE2 cannot run it) with a 400 naming the schema', (_name, pattern) => {
    const error = refusal(output, { type: 'object', properties: { w: { type: 'string', pattern } } });
    expect(error.param).toBe('response_format.json_schema.schema');
  });

  it('checks the url format without the quadratic RegExp, and still tells URLs from text', () => {
    const urls = format({ type: 'object', properties: { u: { type: 'string', format: 'url' } } });
    const ms = timed(() => output.check(urls, JSON.stringify({ u: `http://${':'.repeat(100_000)}` })));
    expect(ms).toBeLessThan(1000);
    expect(output.check(urls, JSON.stringify({ u: 'https://example.com/a?b=c' }))).toEqual({ ok: true });
    expect(output.check(urls, JSON.stringify({ u: 'not a url' }))).toMatchObject({ ok: false });
    expect(output.check(urls, JSON.stringify({ u: 'javascript:alert(1)' }))).toMatchObject({ ok: false });
  });

  it('refuses a schema over MAX_SCHEMA_BYTES, naming the setting', () => {
    const small = new StructuredOutput(testConfig({ MAX_SCHEMA_BYTES: '1024' }));
    const error = refusal(small, { type: 'object', description: 'x'.repeat(2000) });
    expect(error.param).toBe('response_format.json_schema.schema');
    expect(error.message).toContain('MAX_SCHEMA_BYTES');
  });

  it('refuses schemas over the depth, size and pattern budgets before compiling them', () => {
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < MAX_SCHEMA_DEPTH; i++) deep = { type: 'array', items: deep };
    expect(refusal(output, deep).message).toContain('deep');

    const wide = { type: 'object', enum: Array.from({ length: MAX_SCHEMA_NODES }, (_, i) => i) };
    expect(refusal(output, wide).message).toContain('values');

    const costly = { type: 'object', properties: { a: { type: 'string', pattern: '^\\p{L}{1,10}$' } } };
    expect(refusal(output, costly).message).toContain('patterns');
    const many: Record<string, unknown> = {};
    for (let i = 0; i <= MAX_PATTERN_COST; i++) many[`p${i}`] = { type: 'string', pattern: `^p${i}$` };
    expect(refusal(output, { type: 'object', properties: many }).message).toContain('patterns');
  });

  it('compiles the worst schema within the budgets without holding the event loop for a second', () => {
    const large = new StructuredOutput(testConfig({ MAX_SCHEMA_BYTES: '1048576' }));
    // The pattern budget spent on the costliest kind of pattern, and every remaining value on
    // properties with several keywords (the shape that makes ajv generate the most code).
    const properties: Record<string, unknown> = {};
    const pattern = '^.{1,40}$';
    const patterns = Math.floor(MAX_PATTERN_COST / patternCost(pattern));
    for (let i = 0; i < patterns; i++) properties[`p${i}`] = { type: 'string', pattern: `${pattern}|${i}` };
    const rest = Math.floor((MAX_SCHEMA_NODES - 3 * patterns - 3) / 7);
    for (let i = 0; i < rest; i++) {
      properties[`n${i}`] = { type: 'integer', minimum: 0, maximum: i + 1, multipleOf: 1, not: { const: i } };
    }
    // Warm (ajv's meta-schema and the code generator's first run are once per process, not per schema).
    large.prepare(format(schema));
    const before = process.cpuUsage();
    large.prepare(format({ type: 'object', properties }));
    const { user, system } = process.cpuUsage(before);
    const cpuMs = (user + system) / 1000;
    expect(cpuMs).toBeLessThan(1000);
  });

  describe('JSON Schema drafts, chosen by $schema', () => {
    const DRAFT_2020 = 'https://json-schema.org/draft/2020-12/schema';
    const DRAFT_2019 = 'https://json-schema.org/draft/2019-09/schema';

    it('validates a 2020-12 schema as zod 4 writes it ($defs, prefixItems)', () => {
      const zodLike = format({
        $schema: DRAFT_2020,
        type: 'object',
        properties: {
          pair: { type: 'array', prefixItems: [{ type: 'string' }, { $ref: '#/$defs/score' }], items: false },
        },
        required: ['pair'],
        additionalProperties: false,
        $defs: { score: { type: 'integer', minimum: 1 } },
      });
      expect(output.check(zodLike, '{"pair":["a",2]}')).toEqual({ ok: true });
      expect(output.check(zodLike, '{"pair":["a",0]}')).toMatchObject({ ok: false });
      expect(output.check(zodLike, '{"pair":["a",2,3]}')).toMatchObject({ ok: false });
    });

    it('validates 2019-09 keywords (dependentRequired, unevaluatedProperties)', () => {
      const shaped = format({
        $schema: DRAFT_2019,
        type: 'object',
        properties: { card: { type: 'string' }, cvc: { type: 'string' } },
        dependentRequired: { card: ['cvc'] },
        unevaluatedProperties: false,
      });
      expect(output.check(shaped, '{"card":"x","cvc":"1"}')).toEqual({ ok: true });
      expect(output.check(shaped, '{"card":"x"}')).toMatchObject({ ok: false });
      expect(output.check(shaped, '{"cvc":"1","other":1}')).toMatchObject({ ok: false });
    });

    it('takes draft-07 by its URI in any spelling, and when $schema is absent', () => {
      for (const uri of [
        'http://json-schema.org/draft-07/schema#',
        'https://json-schema.org/draft-07/schema',
      ]) {
        expect(output.check(format({ ...schema, $schema: uri }), '{"score":3}')).toEqual({ ok: true });
      }
      expect(output.check(format(schema), '{"score":0}')).toMatchObject({ ok: false });
    });

    it('checks a schema against its own draft: 2020-12 refuses the array form of items', () => {
      const error = refusal(output, { $schema: DRAFT_2020, type: 'array', items: [{ type: 'string' }] });
      expect(error.param).toBe('response_format.json_schema.schema');
      expect(error.message).toContain('items');
    });

    it.each([
      ['draft-04', 'http://json-schema.org/draft-04/schema#'],
      ['draft-06', 'http://json-schema.org/draft-06/schema#'],
      ['"https://example.com/my-meta"', 'https://example.com/my-meta'],
    ])('refuses %s with a 400 naming the draft and $schema', (named, uri) => {
      const error = refusal(output, { ...schema, $schema: uri });
      expect(error.code).toBe('INVALID_REQUEST');
      expect(error.param).toBe('response_format.json_schema.schema.$schema');
      expect(error.message).toContain(named);
    });

    it('runs 2020-12 patterns on RE2 too', () => {
      const redos = format({
        $schema: DRAFT_2020,
        type: 'object',
        properties: { word: { type: 'string', pattern: '^(a+)+$' } },
      });
      const ms = timed(() => output.check(redos, JSON.stringify({ word: `${'a'.repeat(100_000)}!` })));
      expect(ms).toBeLessThan(1000);
    });

    it.each([DRAFT_2019, DRAFT_2020])(
      'compiles the worst %s schema within the budgets without holding the event loop for a second',
      (uri) => {
        const large = new StructuredOutput(testConfig({ MAX_SCHEMA_BYTES: '1048576' }));
        // unevaluatedProperties makes ajv track evaluated properties through every applicator: the
        // costliest code these drafts add, on the keyword-dense properties of the draft-07 case.
        const properties: Record<string, unknown> = {};
        const rest = Math.floor((MAX_SCHEMA_NODES - 8) / 9);
        for (let i = 0; i < rest; i++) {
          properties[`n${i}`] = {
            anyOf: [{ type: 'integer', minimum: 0, maximum: i + 1 }, { not: { const: i } }],
          };
        }
        large.prepare(format({ $schema: uri, type: 'object' }));
        const before = process.cpuUsage();
        large.prepare(
          format({ $schema: uri, type: 'object', allOf: [{ properties }], unevaluatedProperties: false }),
        );
        const { user, system } = process.cpuUsage(before);
        const cpuMs = (user + system) / 1000;
        expect(cpuMs).toBeLessThan(1000);
      },
    );
  });
});
