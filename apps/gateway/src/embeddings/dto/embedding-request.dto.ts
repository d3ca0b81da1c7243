import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  Validate,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { EMBEDDING_ENCODINGS, EmbeddingEncoding, EmbeddingRequest } from '@breakwater/contracts';
import { ModelNameProperty } from '../../chat/dto/model-name';

/** OpenAI's own limit on the inputs of one request. */
export const MAX_EMBEDDING_INPUTS = 2048;
/** Each input's bound in UTF-8 bytes: well above any embedding model's context, far below the body limit. */
export const MAX_EMBEDDING_INPUT_BYTES = 32 * 1024;
/** The longest vector a caller may ask for: OpenAI's largest embedding model's length. */
export const MAX_EMBEDDING_DIMENSIONS = 3072;

/**
 * `input` as text: one non-empty string, or 1 to MAX_EMBEDDING_INPUTS of them, each at most
 * MAX_EMBEDDING_INPUT_BYTES. OpenAI's token arrays are refused by name, since the gateway neither counts
 * nor caches tokens of a tokenizer it does not know.
 */
@ValidatorConstraint({ name: 'embeddingInput' })
class EmbeddingInputConstraint implements ValidatorConstraintInterface {
  validate(input: unknown): boolean {
    return problemOf(input) === undefined;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} ${problemOf(args.value) ?? 'is invalid'}`;
  }
}

function problemOf(input: unknown): string | undefined {
  const texts: readonly unknown[] = Array.isArray(input) ? input : [input];
  if (Array.isArray(input) && (input.length === 0 || input.length > MAX_EMBEDDING_INPUTS)) {
    return `must hold 1 to ${MAX_EMBEDDING_INPUTS} texts`;
  }
  const tokens = texts.some((text) => typeof text === 'number' || Array.isArray(text));
  if (tokens) return 'must be text: token arrays are not supported';
  const index = texts.findIndex(
    (text) =>
      typeof text !== 'string' || text.length === 0 || Buffer.byteLength(text) > MAX_EMBEDDING_INPUT_BYTES,
  );
  if (index === -1) return undefined;
  const where = Array.isArray(input) ? ` (entry ${index})` : '';
  return `must be a non-empty string or an array of them, each at most ${MAX_EMBEDDING_INPUT_BYTES} bytes${where}`;
}

/** OpenAI's embeddings body, text inputs and float vectors only. */
export class EmbeddingRequestDto implements EmbeddingRequest {
  @ModelNameProperty('`provider/model`, an alias or a bare name, routed as for chat completions')
  model!: string;

  @ApiProperty({
    oneOf: [
      { type: 'string', maxLength: MAX_EMBEDDING_INPUT_BYTES },
      {
        type: 'array',
        items: { type: 'string', maxLength: MAX_EMBEDDING_INPUT_BYTES },
        minItems: 1,
        maxItems: MAX_EMBEDDING_INPUTS,
      },
    ],
    description: 'Text to embed: a string or an array of strings (token arrays are refused).',
  })
  @Validate(EmbeddingInputConstraint)
  input!: string | string[];

  @ApiPropertyOptional({
    enum: EMBEDDING_ENCODINGS,
    description: 'float (the default) or base64 (little-endian float32 bytes), as OpenAI answers them.',
  })
  @IsOptional()
  @IsIn(EMBEDDING_ENCODINGS, { message: `encoding_format must be one of ${EMBEDDING_ENCODINGS.join(', ')}` })
  encoding_format?: EmbeddingEncoding;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_EMBEDDING_DIMENSIONS })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_EMBEDDING_DIMENSIONS)
  dimensions?: number;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(256) user?: string;
}
