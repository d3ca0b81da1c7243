import { Injectable } from '@nestjs/common';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { LRUCache } from 'lru-cache';
import { ResponseFormat } from '@breakwater/contracts';

export type StructuredCheck = { ok: true } | { ok: false; problem: string };

const COMPILED_SCHEMAS = 1000;

/**
 * Checks answers against the request's `response_format`: `json_object` must parse as a JSON object,
 * `json_schema` must also validate (ajv). Schemas are compiled once and kept in an LRU keyed by their
 * text, so a hot schema costs a lookup, not a compilation, per request.
 */
@Injectable()
export class StructuredOutput {
  private readonly ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
  private readonly compiled = new LRUCache<string, ValidateFunction>({ max: COMPILED_SCHEMAS });

  /** Compiles a schema ahead of the call, so a bad schema is the caller's 400, not a provider retry. */
  prepare(format: ResponseFormat | undefined): string | undefined {
    if (format?.type !== 'json_schema' || !format.json_schema.schema) return undefined;
    try {
      this.validator(format.json_schema.schema);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
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
    const validate = this.validator(format.json_schema.schema);
    if (validate(value)) return { ok: true };
    return { ok: false, problem: this.ajv.errorsText(validate.errors, { dataVar: 'answer' }) };
  }

  private validator(schema: Record<string, unknown>): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.compiled.set(key, validate);
    }
    return validate;
  }
}
