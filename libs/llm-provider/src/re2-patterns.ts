import { CodeOptions } from 'ajv';
import { RE2 } from 're2-wasm';

type RegExpEngine = NonNullable<CodeOptions['regExp']>;

/**
 * ajv's `code.regExp` engine on RE2, for one compiled schema. RE2 matches in time linear in the input
 * (no backtracking), so a caller's `pattern` or `patternProperties` cannot stall the event loop the way
 * `^(a+)+$` does under RegExp; the price is that backreferences and lookaround do not compile, which
 * ajv reports as a bad schema (the caller's 400).
 *
 * re2-wasm keeps every compiled pattern in WebAssembly memory that the garbage collector never frees
 * and offers no public way to free it, so the patterns are owned here and released together when their
 * schema leaves the cache (`release`), reaching the Emscripten handle's `delete()` by name.
 */
export class Re2Patterns {
  private readonly compiled = new Map<string, RE2>();

  readonly engine: RegExpEngine = Object.assign((pattern: string) => this.compile(pattern), {
    code: 'require("re2-wasm").RE2',
  });

  get size(): number {
    return this.compiled.size;
  }

  release(): void {
    for (const pattern of this.compiled.values()) {
      const handle: unknown = Reflect.get(pattern, 'wrapper');
      if (isDeletable(handle)) handle.delete();
    }
    this.compiled.clear();
  }

  private compile(pattern: string): RE2 {
    let compiled = this.compiled.get(pattern);
    if (!compiled) {
      // re2-wasm only runs in unicode mode; JSON Schema patterns are ECMA-262 with `u` anyway.
      compiled = new RE2(pattern, 'u');
      this.compiled.set(pattern, compiled);
    }
    return compiled;
  }
}

/** An embind handle: the wasm memory behind it is freed only by its delete(). */
function isDeletable(value: unknown): value is { delete(): void } {
  return typeof value === 'object' && value !== null && typeof Reflect.get(value, 'delete') === 'function';
}
