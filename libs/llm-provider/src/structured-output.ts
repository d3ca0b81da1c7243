import { Injectable } from '@nestjs/common';
import Ajv, { ErrorObject, Options, ValidateFunction } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { LRUCache } from 'lru-cache';
import { AppConfig } from '@breakwater/config';
import { GatewayError, ResponseFormat } from '@breakwater/contracts';
import { Re2Patterns } from './re2-patterns';
import { measureSchema } from './schema-budget';

export type StructuredCheck = { ok: true } | { ok: false; problem: string };

const SCHEMA_PARAM = 'response_format.json_schema.schema';
/** Compiled schemas kept; each holds its generated code and its RE2 patterns. */
const COMPILED_SCHEMAS = 500;
/** Validation errors quoted back (to the model in the retry prompt, to the caller in a 502). */
const REPORTED_ERRORS = 10;
/** Longest string the `regex` format compiles as a RegExp (V8 parses it in the event loop). */
const MAX_REGEX_FORMAT_LENGTH = 1000;

const OPTIONS: Options = { allErrors: true, strict: false, logger: false };

/** The JSON Schema drafts ajv validates, each with its own Ajv class; a schema without `$schema` is draft-07. */
const DRAFTS = { 'draft-07': Ajv, '2019-09': Ajv2019, '2020-12': Ajv2020 } as const;
type Draft = keyof typeof DRAFTS;
/** `$schema` as the drafts spell it, `http` or `https`, with or without the empty fragment. */
const DRAFT_URI = /^https?:\/\/json-schema\.org\/(?:draft-(0[4-7])|draft\/(2019-09|2020-12))\/schema#?$/;

interface CompiledSchema {
  validate: ValidateFunction;
  ajv: Ajv;
  patterns: Re2Patterns;
}

/** One draft's meta-schema check: compiled once, shared, never holds a caller's schema. */
interface MetaCheck {
  ajv: Ajv;
  validate: ValidateFunction;
}

/**
 * Checks answers against the request's `response_format`: `json_object` must parse as a JSON object,
 * `json_schema` must also validate (ajv).
 *
 * A schema is the caller's input, so everything it can make the gateway do is bounded: it is measured
 * (depth, values, patterns, MAX_SCHEMA_BYTES) before it is compiled; its patterns run on RE2 (linear
 * time); and string formats are ajv-formats' `fast` set, with `url` (a quadratic RegExp in both sets:
 * 13 s on 100 KB of `http://::::…`) checked by the WHATWG URL parser and `regex` bounded in length.
 * Each distinct schema gets its own Ajv instance, so one caller's `$id` can neither collide with nor be
 * resolved by another's, and leaving the LRU (keyed by the schema's hash) frees all it holds.
 *
 * `$schema` picks the draft: draft-07 (also when absent), 2019-09 or 2020-12 (zod 4's output), each on
 * its own Ajv class with the same bounds. Draft-04 and draft-06 need ajv-draft-04, which the gateway does
 * not ship; they and any other `$schema` are a 400 naming the draft.
 */
@Injectable()
export class StructuredOutput {
  /** Checks schemas against their draft's meta-schema, made on first use of each draft. */
  private readonly meta = new Map<Draft, MetaCheck>();
  private readonly compiled = new LRUCache<string, CompiledSchema>({
    max: COMPILED_SCHEMAS,
    dispose: (entry) => entry.patterns.release(),
  });

  constructor(private readonly config: AppConfig) {}

  /** Measures and compiles a schema ahead of the call: a bad one is the caller's 400, not a provider retry. */
  prepare(format: ResponseFormat | undefined): void {
    if (format?.type === 'json_schema' && format.json_schema.schema)
      this.compiledFor(format.json_schema.schema);
  }

  check(format: ResponseFormat | undefined, content: string | null): StructuredCheck {
    if (!format || format.type === 'text') return { ok: true };
    let value: unknown;
    try {
      value = JSON.parse(content ?? '');
    } catch {
      return { ok: false, problem: 'the answer is not valid JSON' };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { ok: false, problem: 'the answer must be a JSON object' };
    }
    if (format.type !== 'json_schema' || !format.json_schema.schema) return { ok: true };
    const { validate, ajv } = this.compiledFor(format.json_schema.schema);
    if (validate(value)) return { ok: true };
    return { ok: false, problem: ajv.errorsText(reported(validate.errors), { dataVar: 'answer' }) };
  }

  private compiledFor(schema: Record<string, unknown>): CompiledSchema {
    const measure = measureSchema(schema, this.config.schemas.maxBytes);
    if (!measure.ok) throw invalid(measure.problem);
    const cached = this.compiled.get(measure.hash);
    if (cached) return cached;
    const draft = draftOf(schema.$schema);
    const meta = this.metaCheck(draft);
    if (!meta.validate(schema)) {
      throw invalid(meta.ajv.errorsText(reported(meta.validate.errors), { dataVar: 'schema' }));
    }
    const patterns = new Re2Patterns();
    const ajv = schemaAjv(draft, patterns);
    try {
      const entry = { validate: ajv.compile(schema), ajv, patterns };
      this.compiled.set(measure.hash, entry);
      return entry;
    } catch (error) {
      patterns.release();
      throw invalid(error instanceof Error ? error.message : String(error));
    }
  }

  private metaCheck(draft: Draft): MetaCheck {
    let check = this.meta.get(draft);
    if (!check) {
      const ajv = new DRAFTS[draft]({ ...OPTIONS, validateFormats: false });
      // Compiled by its registered id, whatever spelling of it the caller's `$schema` used.
      const id = ajv.defaultMeta();
      const validate = typeof id === 'string' ? ajv.getSchema(id) : undefined;
      if (!validate) throw new Error(`ajv has no meta-schema for JSON Schema ${draft}`);
      check = { ajv, validate };
      this.meta.set(draft, check);
    }
    return check;
  }
}

/** The draft a schema's `$schema` names; one ajv cannot validate is the caller's 400, naming it. */
function draftOf(uri: unknown): Draft {
  if (uri === undefined) return 'draft-07';
  const match = typeof uri === 'string' ? DRAFT_URI.exec(uri) : null;
  const draft = match?.[2] ?? (match?.[1] ? `draft-${match[1]}` : undefined);
  if (draft && Object.hasOwn(DRAFTS, draft)) return draft as Draft;
  const named = draft ?? JSON.stringify(typeof uri === 'string' ? uri.slice(0, 100) : uri);
  throw GatewayError.invalid(
    `${SCHEMA_PARAM}.$schema`,
    `${SCHEMA_PARAM}.$schema: JSON Schema ${named} is not supported; use draft-07, 2019-09 or 2020-12 (https://json-schema.org/draft/2020-12/schema)`,
  );
}

function schemaAjv(draft: Draft, patterns: Re2Patterns): Ajv {
  const ajv = new DRAFTS[draft]({ ...OPTIONS, validateSchema: false, code: { regExp: patterns.engine } });
  addFormats(ajv, { mode: 'fast' });
  ajv.addFormat('url', { type: 'string', validate: isUrl });
  ajv.addFormat('regex', { type: 'string', validate: isRegex });
  return ajv;
}

function isUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  return ['http:', 'https:', 'ftp:'].includes(new URL(text).protocol);
}

function isRegex(text: string): boolean {
  if (text.length > MAX_REGEX_FORMAT_LENGTH) return false;
  try {
    new RegExp(text, 'u');
    return true;
  } catch {
    return false;
  }
}

function reported(errors: ErrorObject[] | null | undefined): ErrorObject[] | null | undefined {
  return errors?.slice(0, REPORTED_ERRORS);
}

function invalid(problem: string): GatewayError {
  return GatewayError.invalid(SCHEMA_PARAM, `${SCHEMA_PARAM}: ${problem}`);
}
