import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { LRUCache } from 'lru-cache';
import { ResponseFormat } from '@breakwater/contracts';
import { canonicalJson } from './cache-key';

const COMPILED_SCHEMAS = 1000;

/**
 * Checks a cached answer against the request's `response_format` as the provider step checks a fresh
 * one (ajv with the same options), since an entry under a caller's own `x-cache-key` may have been
 * written for another format. Schemas are compiled once, kept by their canonical text.
 */
export class CachedAnswerValidator {
  private readonly ajv = addFormats(new Ajv({ strict: false }));
  private readonly compiled = new LRUCache<string, ValidateFunction>({ max: COMPILED_SCHEMAS });

  accepts(format: ResponseFormat | undefined, content: string | null): boolean {
    if (!format || format.type === 'text') return true;
    let value: unknown;
    try {
      value = JSON.parse(content ?? '');
    } catch {
      return false;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const schema = format.type === 'json_schema' ? format.json_schema?.schema : undefined;
    if (!schema) return true;
    const validate = this.validator(schema);
    return validate === undefined ? false : validate(value) === true;
  }

  private validator(schema: Record<string, unknown>): ValidateFunction | undefined {
    const text = canonicalJson(schema);
    let validate = this.compiled.get(text);
    if (!validate) {
      try {
        validate = this.ajv.compile(schema);
      } catch {
        // The provider step refuses such a request with a 400 before the cache is asked; never a hit.
        return undefined;
      }
      this.compiled.set(text, validate);
    }
    return validate;
  }
}
