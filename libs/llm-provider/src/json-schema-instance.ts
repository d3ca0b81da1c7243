type Schema = Record<string, unknown>;

/**
 * A deterministic instance of a JSON schema, for the mock provider's `json_schema` answers. It covers
 * what structured-output schemas use (object, array, string with enum/const/format/length, number and
 * integer ranges, boolean, null, anyOf/oneOf/allOf, local `$ref`); `seed` varies the strings.
 */
export function schemaInstance(schema: Schema, seed: string, root: Schema = schema, depth = 0): unknown {
  if (depth > 32) return null;
  if (typeof schema.$ref === 'string')
    return schemaInstance(resolveRef(root, schema.$ref), seed, root, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ('default' in schema) return schema.default;
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0)
      return schemaInstance(options[0] as Schema, seed, root, depth + 1);
  }
  if (Array.isArray(schema.allOf)) {
    const merged = (schema.allOf as Schema[]).reduce<Schema>((all, part) => mergeSchemas(all, part), {});
    return schemaInstance(mergeSchemas(merged, { ...schema, allOf: undefined }), seed, root, depth + 1);
  }
  const type = Array.isArray(schema.type) ? (schema.type.find((t) => t !== 'null') ?? 'null') : schema.type;
  switch (type ?? (schema.properties ? 'object' : undefined)) {
    case 'object':
      return objectInstance(schema, seed, root, depth);
    case 'array': {
      const count = Math.max(Number(schema.minItems ?? 1), 1);
      const items = (schema.items ?? {}) as Schema;
      return Array.from({ length: count }, (_, i) => schemaInstance(items, `${seed}-${i}`, root, depth + 1));
    }
    case 'string':
      return stringInstance(schema, seed);
    case 'integer':
    case 'number':
      return numberInstance(schema, type === 'integer');
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return seed;
  }
}

function objectInstance(schema: Schema, seed: string, root: Schema, depth: number): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const result: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties)) {
    result[name] = schemaInstance(property, `${seed}-${name}`, root, depth + 1);
  }
  return result;
}

function stringInstance(schema: Schema, seed: string): string {
  switch (schema.format) {
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
  }
  let text = seed;
  const min = Number(schema.minLength ?? 0);
  const max = schema.maxLength === undefined ? Infinity : Number(schema.maxLength);
  while (text.length < min) text += 'x';
  return text.slice(0, max);
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

function resolveRef(root: Schema, ref: string): Schema {
  if (!ref.startsWith('#')) return {};
  let node: unknown = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    node = (node as Schema | undefined)?.[decodeURIComponent(part.replace(/~1/g, '/').replace(/~0/g, '~'))];
  }
  return (node as Schema | undefined) ?? {};
}

function mergeSchemas(a: Schema, b: Schema): Schema {
  const properties = { ...(a.properties as Schema | undefined), ...(b.properties as Schema | undefined) };
  const merged: Schema = { ...a, ...b, properties };
  if (Object.keys(properties).length === 0) delete merged.properties;
  return merged;
}
