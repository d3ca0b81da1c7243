import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { schemaInstance } from './json-schema-instance';

const ajv = addFormats(new Ajv({ strict: false }));

describe('schemaInstance', () => {
  it.each([
    [
      'a flat object',
      { type: 'object', properties: { a: { type: 'string' }, b: { type: 'number' } }, required: ['a', 'b'] },
    ],
    [
      'ranges',
      {
        type: 'object',
        properties: {
          n: { type: 'integer', minimum: 3, maximum: 9, multipleOf: 2 },
          x: { type: 'number', exclusiveMinimum: 0 },
        },
        required: ['n', 'x'],
      },
    ],
    [
      'enums and consts',
      { type: 'object', properties: { e: { enum: ['b', 'a'] }, c: { const: 7 } }, required: ['e', 'c'] },
    ],
    [
      'string constraints and formats',
      {
        type: 'object',
        properties: {
          s: { type: 'string', minLength: 40, maxLength: 50 },
          d: { type: 'string', format: 'date-time' },
          m: { type: 'string', format: 'email' },
        },
        required: ['s', 'd', 'm'],
      },
    ],
    [
      'arrays with minItems',
      {
        type: 'array',
        items: { type: 'object', properties: { k: { type: 'boolean' } }, required: ['k'] },
        minItems: 3,
      },
    ],
    [
      'nullable unions',
      {
        type: 'object',
        properties: {
          v: { type: ['string', 'null'] },
          w: { anyOf: [{ type: 'integer' }, { type: 'null' }] },
        },
        required: ['v', 'w'],
      },
    ],
    [
      'local refs',
      {
        type: 'object',
        $defs: {
          item: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] },
        },
        properties: { items: { type: 'array', items: { $ref: '#/$defs/item' } } },
        required: ['items'],
      },
    ],
    [
      'allOf',
      {
        allOf: [
          { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
          { properties: { b: { type: 'integer' } }, required: ['b'] },
        ],
      },
    ],
    [
      'strict structured-output schemas',
      {
        type: 'object',
        additionalProperties: false,
        properties: { score: { type: 'integer', minimum: 1, maximum: 5 }, why: { type: 'string' } },
        required: ['score', 'why'],
      },
    ],
  ])('produces a valid instance for %s', (_name, schema) => {
    const validate = ajv.compile(schema);
    const instance = schemaInstance(schema as Record<string, unknown>, 'seed');
    expect(validate.errors ?? validate(instance)).toBe(true);
  });

  it('is deterministic for a seed and varies strings with it', () => {
    const schema = { type: 'object', properties: { s: { type: 'string' } } };
    expect(schemaInstance(schema, 'one')).toEqual(schemaInstance(schema, 'one'));
    expect(schemaInstance(schema, 'one')).not.toEqual(schemaInstance(schema, 'two'));
  });
});
