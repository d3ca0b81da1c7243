import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';

/**
 * The characters a model name may hold, wherever a caller names one (`model`, `x-fallback-models`).
 * Real ids need letters, digits and `. _ - : / @ +` (`openrouter/meta-llama/llama-3.1-8b-instruct:free`,
 * `openai/ft:gpt-4o-mini:org:name:id`, `@cf/meta/llama-3-8b-instruct`); nothing else is allowed, because
 * the name is echoed in the `x-model` response header, written to log lines and hashed into cache keys:
 * a control character there made Node refuse the header after the provider was paid and the answer
 * cached. The source is shared with the fast-path JSON Schema so both validators agree.
 */
export const MODEL_NAME_SOURCE = '^[A-Za-z0-9@][A-Za-z0-9._:@+/-]*$';
export const MODEL_NAME_PATTERN = new RegExp(MODEL_NAME_SOURCE);
export const MAX_MODEL_NAME_LENGTH = 256;

export const MODEL_NAME_RULE =
  'letters, digits and . _ - : / @ + only, starting with a letter, a digit or @ (no spaces, quotes or control characters)';

export function isModelName(name: string): boolean {
  return name.length <= MAX_MODEL_NAME_LENGTH && MODEL_NAME_PATTERN.test(name);
}

/** The `model` field of a request body: bounded, held to MODEL_NAME_PATTERN, and documented with `description`. */
export function ModelNameProperty(description: string): PropertyDecorator {
  return applyDecorators(
    ApiProperty({
      example: 'mock/echo',
      description,
      maxLength: MAX_MODEL_NAME_LENGTH,
      pattern: MODEL_NAME_PATTERN.source,
    }),
    IsString(),
    MinLength(1),
    MaxLength(MAX_MODEL_NAME_LENGTH),
    Matches(MODEL_NAME_PATTERN, { message: `model must hold ${MODEL_NAME_RULE}` }),
  );
}
