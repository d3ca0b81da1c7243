import { readFileSync } from 'node:fs';
import { ClassConstructor, plainToInstance } from 'class-transformer';
import { ValidationError, ValidationTypes, getMetadataStorage, validateSync } from 'class-validator';
import { distance } from 'fastest-levenshtein';
import { parse } from 'yaml';
import { ConfigError } from './config.error';

/** Reads a YAML (or JSON, which is YAML) file named by an environment variable; unreadable is a ConfigError. */
export function readConfigDocument(variable: string, path: string): unknown {
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${variable} ${path} cannot be read: ${(error as Error).message}`);
  }
}

/**
 * Validates a parsed file against a class-validator DTO, nested DTOs included (`@ValidateNested` with
 * `@Type`). A misspelt optional field would otherwise be dropped in silence and its default applied, so
 * every field the DTOs do not declare is refused, with the closest declared one suggested. Values are not
 * converted: `"10"` for a number is refused, since the same file read by another tool means a string.
 * Every problem is listed, one a line, each as `<source>: <path> ...`.
 */
export function validatedDocument<T extends object>(
  schema: ClassConstructor<T>,
  document: Record<string, unknown>,
  source: string,
): T {
  const instance = plainToInstance(schema, document);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  const problems = errors.flatMap((error) => problemsOf(error, ''));
  if (problems.length > 0)
    throw new ConfigError(problems.map((problem) => `${source}: ${problem}`).join('\n'));
  return instance;
}

/** `candidate` when it is close enough to `name` to be what was meant (case, `-` and `_` aside). */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  const normal = (text: string) => text.toLowerCase().replace(/[-_]/g, '');
  let best: { candidate: string; cost: number } | undefined;
  for (const candidate of candidates) {
    const cost = distance(normal(name), normal(candidate));
    if (!best || cost < best.cost) best = { candidate, cost };
  }
  if (!best || best.cost > Math.max(1, Math.floor(best.candidate.length / 3))) return undefined;
  return best.candidate;
}

/** For a message: "; did you mean `x`?" when one is close, then "(known: ...)". */
export function suggestion(name: string, candidates: readonly string[]): string {
  const close = closestName(name, candidates);
  return `${close ? `; did you mean \`${close}\`?` : ''} (known: ${candidates.join(', ')})`;
}

function problemsOf(error: ValidationError, parent: string): string[] {
  const path = joinPath(parent, error.property);
  const constraints = error.constraints ?? {};
  const problems: string[] = [];
  if (ValidationTypes.WHITELIST in constraints) {
    const known = error.target ? knownFields(error.target) : [];
    problems.push(`${path} is not a known field${suggestion(error.property, known)}`);
  } else if (Object.keys(constraints).length > 0) {
    problems.push(describe(path, error, constraints));
  }
  for (const child of error.children ?? []) problems.push(...problemsOf(child, path));
  return problems;
}

const NUMBER_CONSTRAINTS = ['isInt', 'isNumber', 'min', 'max', 'isPositive'];

/** The field's own messages, except a number or a boolean written as a string, which says so plainly. */
function describe(path: string, error: ValidationError, constraints: Record<string, string>): string {
  const value: unknown = error.value;
  const names = Object.keys(constraints);
  if (names.length === 1 && names[0] === ValidationTypes.NESTED_VALIDATION) {
    if (!Array.isArray(value)) return `${path} must be a mapping of fields`;
    const items: unknown[] = value;
    return items
      .flatMap((item, index) => (typeof item === 'object' && item !== null ? [] : [`${path}[${index}]`]))
      .map((at) => `${at} must be a mapping of fields`)
      .join('; ');
  }
  if (typeof value === 'string' && names.some((name) => NUMBER_CONSTRAINTS.includes(name))) {
    // Echo only what is plainly a number: a secret pasted into the wrong field stays out of the log.
    const shown = value.trim() !== '' && Number.isFinite(Number(value)) ? ` "${value}"` : '';
    return `${path} must be a number, not the string${shown}`;
  }
  if (typeof value === 'string' && names.includes('isBoolean')) {
    const shown = /^(true|false|yes|no|on|off)$/i.test(value.trim()) ? ` "${value}"` : '';
    return `${path} must be true or false, not the string${shown}`;
  }
  return Object.entries(constraints)
    .filter(([name]) => name !== ValidationTypes.NESTED_VALIDATION)
    .map(([, text]) => (text.startsWith(error.property) ? path + text.slice(error.property.length) : text))
    .join('; ');
}

/** The fields the DTO class of `instance` declares, in declaration order. */
function knownFields(instance: object): string[] {
  const storage = getMetadataStorage();
  const metadata = storage.getTargetValidationMetadatas(instance.constructor, '', true, false);
  return Object.keys(storage.groupByPropertyName(metadata));
}

function joinPath(parent: string, property: string): string {
  if (/^\d+$/.test(property)) return `${parent}[${property}]`;
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(property)) return `${parent}[${JSON.stringify(property)}]`;
  return parent ? `${parent}.${property}` : property;
}
