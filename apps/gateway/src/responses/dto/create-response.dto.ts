import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  Validate,
  ValidateIf,
  ValidateNested,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { MAX_TOOLS } from '../../chat/dto/chat-completion-request.dto';
import { ModelNameProperty } from '../../chat/dto/model-name';

/** As many input items as a chat body may carry messages. */
export const MAX_INPUT_ITEMS = 10_000;
/** OpenAI's own bounds on `metadata`. */
export const MAX_METADATA_KEYS = 16;
export const MAX_METADATA_KEY_LENGTH = 64;
export const MAX_METADATA_VALUE_LENGTH = 512;
const TOOL_CHOICES = ['none', 'auto', 'required'];

/** `input`: text, or a list of items; each item is checked (and named by its index) as it is mapped. */
@ValidatorConstraint({ name: 'responseInput' })
class InputConstraint implements ValidatorConstraintInterface {
  validate(input: unknown): boolean {
    if (typeof input === 'string') return true;
    return Array.isArray(input) && input.length > 0 && input.length <= MAX_INPUT_ITEMS;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be a string or a non-empty array of at most ${MAX_INPUT_ITEMS} items`;
  }
}

@ValidatorConstraint({ name: 'metadata' })
class MetadataConstraint implements ValidatorConstraintInterface {
  validate(metadata: unknown): boolean {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return false;
    const entries = Object.entries(metadata);
    return (
      entries.length <= MAX_METADATA_KEYS &&
      entries.every(
        ([key, value]) =>
          key.length <= MAX_METADATA_KEY_LENGTH &&
          typeof value === 'string' &&
          value.length <= MAX_METADATA_VALUE_LENGTH,
      )
    );
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be an object of at most ${MAX_METADATA_KEYS} string values, keys up to ${MAX_METADATA_KEY_LENGTH} characters, values up to ${MAX_METADATA_VALUE_LENGTH}`;
  }
}

@ValidatorConstraint({ name: 'responseToolChoice' })
class ToolChoiceConstraint implements ValidatorConstraintInterface {
  validate(choice: unknown): boolean {
    if (typeof choice === 'string') return TOOL_CHOICES.includes(choice);
    if (typeof choice !== 'object' || choice === null || Array.isArray(choice)) return false;
    const { type, name } = choice as { type?: unknown; name?: unknown };
    return type === 'function' && typeof name === 'string' && name.length > 0 && name.length <= 128;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be one of ${TOOL_CHOICES.join(', ')} or {"type": "function", "name": "<tool name>"}`;
  }
}

/** A field of OpenAI's Responses API that needs state the gateway does not keep: refused when present. */
@ValidatorConstraint({ name: 'notSupported' })
class NotSupportedConstraint implements ValidatorConstraintInterface {
  validate(): boolean {
    return false;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} is not supported: the gateway answers the Responses API statelessly (send the whole conversation in input)`;
  }
}

export class ResponseToolDto {
  @ApiProperty({ enum: ['function'], description: 'Only function tools; built-in tools answer 400.' })
  @IsIn(['function'], { message: 'only function tools are supported; $property must be function' })
  type!: 'function';
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(128) name!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() description?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  parameters?: Record<string, unknown>;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() strict?: boolean;
}

export class TextFormatDto {
  @ApiProperty({ enum: ['text', 'json_object', 'json_schema'] })
  @IsIn(['text', 'json_object', 'json_schema'])
  type!: 'text' | 'json_object' | 'json_schema';

  @ApiPropertyOptional({ description: 'Required when type is json_schema.' })
  @ValidateIf((format: TextFormatDto) => format.type === 'json_schema' || format.name != null)
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() description?: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Required when type is json_schema.',
  })
  @ValidateIf((format: TextFormatDto) => format.type === 'json_schema' || format.schema != null)
  @IsObject()
  schema?: Record<string, unknown>;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() strict?: boolean;
}

export class TextConfigDto {
  @ApiPropertyOptional({ type: TextFormatDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => TextFormatDto)
  format?: TextFormatDto;
  @ApiPropertyOptional({ enum: ['low', 'medium', 'high'] })
  @IsOptional()
  @IsIn(['low', 'medium', 'high'])
  verbosity?: 'low' | 'medium' | 'high';
}

/**
 * The stateless subset of OpenAI's Responses API (`POST /v1/responses`), answered through the chat path.
 * Fields the gateway cannot honour without keeping responses (previous_response_id, store: true,
 * background, conversation, prompt) are refused, naming the field; other fields outside this list are
 * ignored.
 */
export class CreateResponseDto {
  @ModelNameProperty('`provider/model` or a bare name, as for chat completions.')
  model!: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object' }, maxItems: MAX_INPUT_ITEMS }],
    description:
      'Text (one user message), or items: messages (`role` user, assistant, system or developer; `content` text or `input_text`/`input_image`/`output_text` parts), `function_call` and `function_call_output` items.',
  })
  @IsDefined()
  @Validate(InputConstraint)
  input!: string | unknown[];

  @ApiPropertyOptional({ description: 'A system message before the input.' })
  @IsOptional()
  @IsString()
  instructions?: string;

  @ApiPropertyOptional({ type: [ResponseToolDto], maxItems: MAX_TOOLS })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TOOLS)
  @ValidateNested({ each: true })
  @Type(() => ResponseToolDto)
  tools?: ResponseToolDto[];

  @ApiPropertyOptional({ oneOf: [{ type: 'string', enum: TOOL_CHOICES }, { type: 'object' }] })
  @IsOptional()
  @Validate(ToolChoiceConstraint)
  tool_choice?: unknown;

  @ApiPropertyOptional({ type: TextConfigDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => TextConfigDto)
  text?: TextConfigDto;

  @ApiPropertyOptional({ minimum: 0, maximum: 2 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 1 }) @IsOptional() @IsNumber() @Min(0) @Max(1) top_p?: number;
  @ApiPropertyOptional({ minimum: 1 }) @IsOptional() @IsInt() @Min(1) max_output_tokens?: number;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() parallel_tool_calls?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(256) user?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', maxLength: MAX_METADATA_VALUE_LENGTH },
    maxProperties: MAX_METADATA_KEYS,
    description: 'Echoed on the response; not sent to the provider.',
  })
  @IsOptional()
  @Validate(MetadataConstraint)
  metadata?: Record<string, string>;

  @ApiPropertyOptional({ description: 'Answer as the Responses event stream (`text/event-stream`).' })
  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  @ApiPropertyOptional({ enum: [false], description: '`true` is refused: responses are not stored.' })
  @IsOptional()
  @IsIn([false], { message: '$property: true is not supported: responses are not stored' })
  store?: boolean;

  @ApiPropertyOptional({ description: 'Refused: the gateway keeps no responses.', deprecated: true })
  @IsOptional()
  @Validate(NotSupportedConstraint)
  previous_response_id?: unknown;

  @ApiPropertyOptional({ description: 'Refused when true: background mode is not supported.' })
  @IsOptional()
  @IsIn([false], { message: '$property: true is not supported; use x-processing-mode: async' })
  background?: boolean;

  @ApiPropertyOptional({ description: 'Refused: the gateway keeps no conversations.', deprecated: true })
  @IsOptional()
  @Validate(NotSupportedConstraint)
  conversation?: unknown;

  @ApiPropertyOptional({ description: 'Refused: stored prompts are not supported.', deprecated: true })
  @IsOptional()
  @Validate(NotSupportedConstraint)
  prompt?: unknown;
}
