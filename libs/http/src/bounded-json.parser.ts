import { FastifyInstance } from 'fastify';
import { GatewayError } from '@breakwater/contracts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;

/**
 * JSON values a body may hold (counted as containers plus separators, an upper bound of the values).
 * The validation pipe's class-transformer copies every value of a body it validates at several
 * microseconds each, so a megabyte of `{"k":0}` would hold the event loop for seconds; 100,000 values
 * (~0.5 s at worst on a loaded 2-core VM) is far above any real request: 10,000 messages of three fields,
 * or a 2,500-value response_format schema, are a fraction of it.
 */
export const MAX_JSON_VALUES = 100_000;

export type JsonShapeProblem = 'depth' | 'values' | undefined;

/**
 * The first bound `json` crosses: nesting past `maxDepth`, or more than `maxValues` values. One pass over
 * the characters, with no recursion and no allocation, so a hostile body costs its length and nothing
 * more. Brackets and commas inside strings (escaped quotes included) do not count. Text that is not JSON
 * may be judged either way: the parser refuses it regardless.
 */
export function jsonShapeProblem(
  json: string,
  maxDepth: number,
  maxValues = MAX_JSON_VALUES,
): JsonShapeProblem {
  let depth = 0;
  let values = 1;
  let inString = false;
  for (let index = 0; index < json.length; index++) {
    const char = json.charCodeAt(index);
    if (inString) {
      if (char === BACKSLASH) index++;
      else if (char === QUOTE) inString = false;
    } else if (char === QUOTE) {
      inString = true;
    } else if (char === OPEN_OBJECT || char === OPEN_ARRAY) {
      if (++depth > maxDepth) return 'depth';
      if (++values > maxValues) return 'values';
    } else if (char === CLOSE_OBJECT || char === CLOSE_ARRAY) {
      depth--;
    } else if (char === COMMA && ++values > maxValues) {
      return 'values';
    }
  }
  return undefined;
}

/**
 * Replaces Fastify's application/json parser with the same parser behind a depth and a size-in-values check. Everything
 * after parsing (the validation pipe, class-transformer, the cache key, provider mappings, the queue's
 * serialisation) walks bodies recursively, so a body nested thousands deep would overflow the stack
 * there as a 500; refused here, it is a 400 before any of them sees it. Fastify's own parser stays in
 * charge of the rest: secure-json-parse with the server's `__proto__` and `constructor` handling, the
 * empty-body and malformed-JSON errors, and the body limit (413), which applies before parsing.
 */
export function installBoundedJsonParser(fastify: FastifyInstance, maxDepth: number): void {
  const { onProtoPoisoning, onConstructorPoisoning } = fastify.initialConfig;
  const parse = fastify.getDefaultJsonParser(onProtoPoisoning ?? 'error', onConstructorPoisoning ?? 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser<string>('application/json', { parseAs: 'string' }, (request, body, done) => {
    const problem = jsonShapeProblem(body, maxDepth);
    if (problem) {
      const message =
        problem === 'depth'
          ? `request body nests objects and arrays deeper than MAX_JSON_DEPTH (${maxDepth})`
          : `request body holds more than ${MAX_JSON_VALUES} JSON values`;
      done(GatewayError.invalid('body', message), undefined);
      return;
    }
    void parse(request, body, done);
  });
}
