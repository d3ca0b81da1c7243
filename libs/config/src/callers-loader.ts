import { createHash } from 'node:crypto';
import { Caller, PRIORITIES, Priority, ProcessingMode } from '@breakwater/contracts';
import { CallerEntry, CallersFileDocument } from './callers-file.schema';
import { ConfigError } from './config.error';
import { readConfigDocument, validatedDocument } from './config-document';

export const DEV_CALLER_KEY = 'dev-key';

/**
 * A caller with what only the gateway's request path reads: its default `x-processing-mode`, its queue
 * `priority` and `max_priority`, and its `models` allow-list.
 */
export interface ConfiguredCaller extends Caller {
  processingMode?: ProcessingMode;
  priority?: Priority;
  maxPriority?: Priority;
  models?: string[];
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Reads `CALLERS_FILE` (YAML or JSON: a list, or `{callers: [...]}`) and validates every entry. */
export function loadCallersFile(path: string): ConfiguredCaller[] {
  const document = readConfigDocument('CALLERS_FILE', path);
  return toCallers(document, `CALLERS_FILE ${path}`);
}

/** Validates a callers document (a list, or `{callers: [...]}`) into callers; `source` starts each message. */
export function toCallers(document: unknown, source: string): ConfiguredCaller[] {
  const wrapped = Array.isArray(document) ? { callers: document } : document;
  if (typeof wrapped !== 'object' || wrapped === null) {
    throw new ConfigError(`${source} must hold a non-empty list of callers (or {callers: [...]})`);
  }
  const { callers: entries } = validatedDocument(CallersFileDocument, { ...wrapped }, source);
  const callers = entries.map((entry, index) => toCaller(entry, `${source}: callers[${index}]`));
  assertUnique(
    callers,
    (caller) => caller.id,
    (first, second) =>
      `${source}: callers[${first}] and callers[${second}] have the same id "${callers[first].id}"`,
  );
  assertUnique(
    callers,
    (caller) => caller.keySha256,
    (first, second) =>
      `${source}: callers[${first}] (${callers[first].id}) and callers[${second}] (${callers[second].id}) ` +
      'share a key; give each caller its own',
  );
  return callers;
}

function toCaller(entry: CallerEntry, where: string): ConfiguredCaller {
  if ((entry.key === undefined) === (entry.key_sha256 === undefined)) {
    throw new ConfigError(`${where}: give exactly one of key or key_sha256`);
  }
  const { priority, max_priority: maxPriority } = entry;
  if (priority && maxPriority && PRIORITIES.indexOf(priority) < PRIORITIES.indexOf(maxPriority)) {
    throw new ConfigError(
      `${where}.priority: "${priority}" is above max_priority "${maxPriority}"; lower priority or raise max_priority`,
    );
  }
  return {
    id: entry.id,
    keySha256: entry.key_sha256?.toLowerCase() ?? sha256Hex(entry.key ?? ''),
    role: entry.role ?? 'caller',
    limits: { ...entry.limits },
    endUserLimits: { ...entry.end_user_limits },
    cache: {
      enabled: entry.cache?.enabled ?? true,
      ttl_seconds: entry.cache?.ttl_seconds,
      namespace: entry.cache?.namespace ?? entry.id,
    },
    webhookSecret: entry.webhook_secret,
    ...(entry.processing_mode ? { processingMode: entry.processing_mode } : {}),
    ...(priority ? { priority } : {}),
    ...(maxPriority ? { maxPriority } : {}),
    ...(entry.models ? { models: [...entry.models] } : {}),
  };
}

/** Refuses two callers with the same value; the message names both entries, never the value itself. */
function assertUnique(
  callers: Caller[],
  valueOf: (caller: Caller) => string,
  message: (first: number, second: number) => string,
): void {
  const seen = new Map<string, number>();
  callers.forEach((caller, index) => {
    const first = seen.get(valueOf(caller));
    if (first !== undefined) throw new ConfigError(message(first, index));
    seen.set(valueOf(caller), index);
  });
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
