import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import {
  INSTANCE_MAX_BYTES,
  INSTANCE_MAX_ITEMS,
  INSTANCE_MAX_STRING_LENGTH,
  SchemaInstanceBoundError,
  schemaInstance,
} from './json-schema-instance';

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
    const instance = schemaInstance(schema, 'seed');
    expect(validate.errors ?? validate(instance)).toBe(true);
  });

  it('is deterministic for a seed and varies strings with it', () => {
    const schema = { type: 'object', properties: { s: { type: 'string' } } };
    expect(schemaInstance(schema, 'one')).toEqual(schemaInstance(schema, 'one'));
    expect(schemaInstance(schema, 'one')).not.toEqual(schemaInstance(schema, 'two'));
  });

  it.each([
    ['an array over the item bound', { type: 'array', minItems: 3_000_000 }, /minItems 3000000/],
    ['a string over the length bound', { type: 'string', minLength: 20_000_000 }, /minLength 20000000/],
    [
      'an instance nested past the depth bound',
      { type: 'object', properties: { next: { $ref: '#' } }, required: ['next'] },
      /deeper/,
    ],
  ])('refuses %s without building it', (_name, schema, message) => {
    const started = performance.now();
    expect(() => schemaInstance(schema, 'seed')).toThrow(SchemaInstanceBoundError);
    expect(() => schemaInstance(schema, 'seed')).toThrow(message);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('stops references that multiply a small part past the byte bound', () => {
    const $defs: Record<string, unknown> = { d0: { type: 'string', minLength: 10_000 } };
    for (let i = 1; i <= 12; i++) {
      const ref = { $ref: `#/$defs/d${i - 1}` };
      $defs[`d${i}`] = { type: 'object', properties: { a: ref, b: ref }, required: ['a', 'b'] };
    }
    const started = performance.now();
    expect(() => schemaInstance({ $defs, $ref: '#/$defs/d12' }, 'seed')).toThrow(
      `${INSTANCE_MAX_BYTES} bytes`,
    );
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('builds instances right at the bounds, and ends recursive schemas that require nothing more', () => {
    const list = schemaInstance(
      { type: 'array', minItems: INSTANCE_MAX_ITEMS, items: { type: 'integer' } },
      's',
    );
    expect(list).toHaveLength(INSTANCE_MAX_ITEMS);
    const text = schemaInstance({ type: 'string', minLength: INSTANCE_MAX_STRING_LENGTH }, 's');
    expect(text).toHaveLength(INSTANCE_MAX_STRING_LENGTH);
    const tree = { type: 'object', properties: { children: { type: 'array', items: { $ref: '#' } } } };
    const validate = ajv.compile(tree);
    expect(validate(schemaInstance(tree, 'seed'))).toBe(true);
  });

  it.each([
    [
      '2020-12 prefixItems closed by items: false',
      {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'array',
        prefixItems: [{ type: 'string' }, { $ref: '#/$defs/n' }],
        items: false,
        $defs: { n: { type: 'integer', minimum: 3 } },
      },
    ],
    [
      '2020-12 prefixItems with further items',
      { type: 'array', prefixItems: [{ type: 'boolean' }], items: { type: 'string' }, minItems: 3 },
    ],
    [
      'a draft-07 tuple closed by additionalItems: false',
      { type: 'array', items: [{ type: 'string' }, { type: 'integer' }], additionalItems: false },
    ],
    [
      'a 2020-12 $dynamicRef to the root',
      {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $dynamicAnchor: 'node',
        type: 'object',
        properties: { next: { anyOf: [{ type: 'null' }, { $dynamicRef: '#' }] } },
      },
    ],
  ])('builds a valid instance of %s', (name, schema) => {
    const validator = name.includes('draft-07') ? ajv : new Ajv2020({ strict: false });
    expect(validator.validate(schema, schemaInstance(schema, 'seed'))).toBe(true);
  });
});
