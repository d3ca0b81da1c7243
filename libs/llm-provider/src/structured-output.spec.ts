import { StructuredOutput } from './structured-output';

const schema = {
  type: 'object',
  properties: { score: { type: 'integer', minimum: 1, maximum: 5 } },
  required: ['score'],
  additionalProperties: false,
};
const format = { type: 'json_schema' as const, json_schema: { name: 'grade', schema } };

describe('StructuredOutput', () => {
  const output = new StructuredOutput();

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
    expect(output.check(format, '{"score":3}')).toEqual({ ok: true });
    const wrong = output.check(format, '{"score":9,"extra":true}');
    expect(wrong.ok).toBe(false);
    expect(!wrong.ok && wrong.problem).toContain('score');
    expect(!wrong.ok && wrong.problem).toContain('additional');
  });

  it('reports an uncompilable schema before any call', () => {
    expect(output.prepare(format)).toBeUndefined();
    const broken = { type: 'json_schema' as const, json_schema: { name: 'x', schema: { type: 'nonsense' } } };
    expect(output.prepare(broken)).toContain('type');
  });
});
