import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { parse } from 'yaml';
import { Caller } from '@breakwater/contracts';
import { CallerEntry } from './callers-file.schema';
import { ConfigError } from './config.error';
import { flattenValidationErrors } from './validation-errors';

export const DEV_CALLER_KEY = 'dev-key';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Reads `CALLERS_FILE` (YAML or JSON: a list, or `{callers: [...]}`) and validates every entry. */
export function loadCallersFile(path: string): Caller[] {
  let document: unknown;
  try {
    document = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`CALLERS_FILE ${path} cannot be read: ${(error as Error).message}`);
  }
  const list = Array.isArray(document) ? document : (document as { callers?: unknown } | null)?.callers;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigError(`CALLERS_FILE ${path} must hold a non-empty list of callers (or {callers: [...]})`);
  }
  return toCallers(list, `CALLERS_FILE ${path}`);
}

export function toCallers(list: unknown[], source: string): Caller[] {
  const callers = list.map((raw, index) => toCaller(raw, `${source}: callers[${index}]`));
  assertUnique(
    callers.map((c) => c.id),
    `${source}: duplicate caller id`,
  );
  assertUnique(
    callers.map((c) => c.keySha256),
    `${source}: two callers share a key`,
  );
  return callers;
}

function toCaller(raw: unknown, where: string): Caller {
  if (typeof raw !== 'object' || raw === null) throw new ConfigError(`${where} must be an object`);
  const entry = plainToInstance(CallerEntry, raw);
  const problems = flattenValidationErrors(validateSync(entry));
  if (problems.length > 0) throw new ConfigError(`${where}.${problems[0].path}: ${problems[0].message}`);
  if ((entry.key === undefined) === (entry.key_sha256 === undefined)) {
    throw new ConfigError(`${where}: give exactly one of key or key_sha256`);
  }
  return {
    id: entry.id,
    keySha256: entry.key_sha256?.toLowerCase() ?? sha256Hex(entry.key as string),
    role: entry.role ?? 'caller',
    limits: { ...entry.limits },
    endUserLimits: { ...entry.end_user_limits },
    cache: {
      enabled: entry.cache?.enabled ?? true,
      ttl_seconds: entry.cache?.ttl_seconds,
      namespace: entry.cache?.namespace ?? entry.id,
    },
    webhookSecret: entry.webhook_secret,
  };
}

function assertUnique(values: string[], message: string): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) throw new ConfigError(message);
    seen.add(value);
  }
}

/** The stand-in admin of a development machine with no callers file. */
export function devCaller(): Caller {
  return {
    id: 'dev',
    keySha256: sha256Hex(DEV_CALLER_KEY),
    role: 'admin',
    limits: {},
    endUserLimits: {},
    cache: { enabled: true, namespace: 'dev' },
  };
}
