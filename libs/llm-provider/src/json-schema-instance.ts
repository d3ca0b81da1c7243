type Schema = Record<string, unknown>;

/** Items of one array in an instance. */
export const INSTANCE_MAX_ITEMS = 1000;
/** Characters of one string in an instance. */
export const INSTANCE_MAX_STRING_LENGTH = 10_000;
/** Nesting of an instance (objects, arrays, and the `$ref`/`anyOf`/`allOf` steps taken to reach them). */
const INSTANCE_MAX_DEPTH = 32;
/** Serialised bytes of a whole instance. */
export const INSTANCE_MAX_BYTES = 1_000_000;
/**
 * Below this depth an instance is filled in (optional properties, one item in an array without
 * `minItems`) so it looks like an answer; deeper, only what the schema requires, so recursive
 * schemas end.
 */
const FILLED_DEPTH = 4;

/** A schema whose smallest instance is larger than the bounds above; nothing was built. */
export class SchemaInstanceBoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaInstanceBoundError';
  }
}

/**
 * A deterministic instance of a JSON schema, for the mock provider's `json_schema` answers. It covers
 * what structured-output schemas use (object, array, string with enum/const/format/length, number and
 * integer ranges, boolean, null, anyOf/oneOf/allOf, local `$ref`, tuples) in draft-07, 2019-09 and
 * 2020-12 (`$defs`, `prefixItems`); `seed` varies the strings.
 *
 * The schema is a caller's, so no loop or allocation follows one of its numbers unchecked: every
 * count and length is held to the bounds above before anything is built, and a running byte count
 * (charged before each value is made) stops schemas whose `$ref`s multiply a small part into a huge
 * whole. Crossing a bound throws SchemaInstanceBoundError naming it.
 */
export function schemaInstance(schema: Schema, seed: string): unknown {
  return new InstanceBuilder(schema).build(schema, seed, 0);
}

class InstanceBuilder {
  private bytes = 0;

  constructor(private readonly root: Schema) {}

  build(schema: Schema, seed: string, depth: number): unknown {
    if (depth > INSTANCE_MAX_DEPTH) {
      throw new SchemaInstanceBoundError(
        `the smallest instance is nested deeper than ${INSTANCE_MAX_DEPTH} levels`,
      );
    }
    // 2019-09's $recursiveRef and 2020-12's $dynamicRef are resolved as plain references.
    const ref: unknown = schema.$ref ?? schema.$dynamicRef ?? schema.$recursiveRef;
    if (typeof ref === 'string') return this.build(resolveRef(this.root, ref), seed, depth + 1);
    if ('const' in schema) return this.literal(schema.const);
    if (Array.isArray(schema.enum) && schema.enum.length > 0) return this.literal(schema.enum[0]);
    if ('default' in schema) return this.literal(schema.default);
    for (const key of ['anyOf', 'oneOf'] as const) {
      const options = schema[key];
      if (Array.isArray(options) && options.length > 0)
        return this.build(asSchema(options[0]), seed, depth + 1);
    }
    if (Array.isArray(schema.allOf)) {
      const parts = schema.allOf.map(asSchema);
      // Merging is work the output does not show, so it is charged too: each part and each property.
      this.charge(parts.reduce((sum, part) => sum + 1 + Object.keys(asSchema(part.properties)).length, 0));
      const merged = parts.reduce<Schema>((all, part) => mergeSchemas(all, part), {});
      return this.build(mergeSchemas(merged, { ...schema, allOf: undefined }), seed, depth + 1);
    }
    const types: unknown = schema.type;
    const type: unknown = Array.isArray(types) ? (types.find((t) => t !== 'null') ?? 'null') : types;
    switch (type ?? (schema.properties ? 'object' : undefined)) {
      case 'object':
        return this.object(schema, seed, depth);
      case 'array':
        return this.array(schema, seed, depth);
      case 'string':
        return this.string(schema, seed);
      case 'integer':
      case 'number':
        this.charge(24);
        return numberInstance(schema, type === 'integer');
      case 'boolean':
        this.charge(5);
        return true;
      case 'null':
        this.charge(4);
        return null;
      default:
        this.charge(seed.length + 2);
        return seed;
    }
  }

  private object(schema: Schema, seed: string, depth: number): Record<string, unknown> {
    const properties = isSchema(schema.properties) ? schema.properties : {};
    const required = new Set(Array.isArray(schema.required) ? schema.required.filter(isString) : []);
    const names = depth < FILLED_DEPTH ? new Set([...Object.keys(properties), ...required]) : required;
    const extra = isSchema(schema.additionalProperties) ? schema.additionalProperties : {};
    const result: Record<string, unknown> = {};
    this.charge(2);
    for (const name of names) {
      this.charge(name.length + 4);
      const property = Object.hasOwn(properties, name) ? asSchema(properties[name]) : extra;
      Object.defineProperty(result, name, {
        value: this.build(property, `${seed}-${name}`, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return result;
  }

  private array(schema: Schema, seed: string, depth: number): unknown[] {
    const min = count(schema.minItems) ?? 0;
    if (min > INSTANCE_MAX_ITEMS) {
      throw new SchemaInstanceBoundError(
        `minItems ${min} is over the mock's bound of ${INSTANCE_MAX_ITEMS} items`,
      );
    }
    const max = count(schema.maxItems) ?? INSTANCE_MAX_ITEMS;
    // A tuple's positions: `prefixItems` (2019-09 on) or the array form of `items` (draft-07), whose
    // remaining items follow `items` or `additionalItems` respectively.
    const tuple = Array.isArray(schema.prefixItems)
      ? schema.prefixItems
      : Array.isArray(schema.items)
        ? schema.items
        : [];
    const rest = Array.isArray(schema.items) ? schema.additionalItems : schema.items;
    const filled = tuple.length > 0 ? tuple.length : depth < FILLED_DEPTH && rest !== false ? 1 : 0;
    const length = Math.min(Math.max(min, filled), max, INSTANCE_MAX_ITEMS);
    this.charge(2);
    const result: unknown[] = [];
    for (let i = 0; i < length; i++) {
      this.charge(1);
      const items = i < tuple.length ? asSchema(tuple[i]) : asSchema(rest);
      result.push(this.build(items, `${seed}-${i}`, depth + 1));
    }
    return result;
  }

  private string(schema: Schema, seed: string): string {
    const min = count(schema.minLength) ?? 0;
    if (min > INSTANCE_MAX_STRING_LENGTH) {
      throw new SchemaInstanceBoundError(
        `minLength ${min} is over the mock's bound of ${INSTANCE_MAX_STRING_LENGTH} characters`,
      );
    }
    const text = formatted(schema.format) ?? seed.padEnd(min, 'x').slice(0, count(schema.maxLength));
    this.charge(text.length + 2);
    return text;
  }

  /** A value the schema spells out (const, enum, default), charged at its serialised size. */
  private literal(value: unknown): unknown {
    this.charge(JSON.stringify(value ?? null).length);
    return value;
  }

  private charge(bytes: number): void {
    this.bytes += bytes;
    if (this.bytes > INSTANCE_MAX_BYTES) {
      throw new SchemaInstanceBoundError(
        `the smallest instance is over the mock's bound of ${INSTANCE_MAX_BYTES} bytes`,
      );
    }
  }
}

function formatted(format: unknown): string | undefined {
  switch (format) {
    case 'date-time':
      return '2025-01-01T00:00:00Z';
    case 'date':
      return '2025-01-01';
    case 'time':
      return '00:00:00Z';
    case 'email':
      return 'mock@example.com';
    case 'uri':
    case 'url':
      return 'https://example.com/mock';
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000';
    default:
      return undefined;
  }
}

function numberInstance(schema: Schema, integer: boolean): number {
  const minimum =
    numeric(schema.minimum) ?? (numeric(schema.exclusiveMinimum) ?? -Infinity) + (integer ? 1 : 0.5);
  const maximum =
    numeric(schema.maximum) ?? (numeric(schema.exclusiveMaximum) ?? Infinity) - (integer ? 1 : 0.5);
  let value = Number.isFinite(minimum) ? minimum : Number.isFinite(maximum) ? Math.min(0, maximum) : 0;
  if (integer) value = Math.ceil(value);
  const step = numeric(schema.multipleOf);
  if (step) value = Math.ceil(value / step) * step;
  return value;
}

function numeric(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/** A non-negative whole count from the schema (minItems, maxLength...), or undefined when absent or not one. */
function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asSchema(value: unknown): Schema {
  return isSchema(value) ? value : {};
}

function resolveRef(root: Schema, ref: string): Schema {
  if (!ref.startsWith('#')) return {};
  let node: unknown = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    const key = decodeURIComponent(part.replace(/~1/g, '/').replace(/~0/g, '~'));
    node = isSchema(node) && Object.hasOwn(node, key) ? node[key] : undefined;
  }
  return asSchema(node);
}

function mergeSchemas(a: Schema, b: Schema): Schema {
  const properties = { ...asSchema(a.properties), ...asSchema(b.properties) };
  const merged: Schema = { ...a, ...b, properties };
  if (Object.keys(properties).length === 0) delete merged.properties;
  return merged;
}
