import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
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
import { CHAT_ROLES, ChatCompletionRequest, ChatMessage, ResponseFormat } from '@breakwater/contracts';
import { ModelNameProperty } from './model-name';
import { SamplingDto } from './sampling.dto';

/** OpenAI's own limit; every adapter maps each tool, so the count bounds their work too. */
export const MAX_TOOLS = 128;
const TOOL_CHOICES = ['none', 'auto', 'required'];

@ValidatorConstraint({ name: 'messageContent' })
class MessageContentConstraint implements ValidatorConstraintInterface {
  validate(content: unknown, args: ValidationArguments): boolean {
    if (typeof content === 'string') return true;
    if (content === null || content === undefined) {
      const message = args.object as MessageDto;
      return message.role === 'assistant' && Array.isArray(message.tool_calls);
    }
    if (!Array.isArray(content) || content.length === 0) return false;
    const parts: readonly unknown[] = content;
    return parts.every(
      (part) => typeof part === 'object' && part !== null && 'type' in part && typeof part.type === 'string',
    );
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be a string or a non-empty array of content parts with a type (null only for assistant tool calls)`;
  }
}

/** The adapters read `function.name` of an object choice; any other shape would be a TypeError there. */
@ValidatorConstraint({ name: 'toolChoice' })
class ToolChoiceConstraint implements ValidatorConstraintInterface {
  validate(choice: unknown): boolean {
    if (typeof choice === 'string') return TOOL_CHOICES.includes(choice);
    if (typeof choice !== 'object' || choice === null || Array.isArray(choice)) return false;
    const { type, function: named } = choice as { type?: unknown; function?: unknown };
    if (type !== 'function' || typeof named !== 'object' || named === null) return false;
    const { name } = named as { name?: unknown };
    return typeof name === 'string' && name.length > 0 && name.length <= 128;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be one of ${TOOL_CHOICES.join(', ')} or {"type": "function", "function": {"name": "<tool name>"}}`;
  }
}

export class FunctionCallDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(128) name!: string;
  @ApiProperty({ description: 'The arguments as JSON text.' }) @IsString() arguments!: string;
}

export class ToolCallDto {
  @ApiProperty() @IsString() @MaxLength(256) id!: string;
  @ApiProperty({ enum: ['function'] }) @IsIn(['function']) type!: 'function';
  @ApiProperty({ type: FunctionCallDto })
  @IsDefined()
  @ValidateNested()
  @Type(() => FunctionCallDto)
  function!: FunctionCallDto;
}

export class FunctionDefinitionDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(128) name!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() description?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  parameters?: Record<string, unknown>;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() strict?: boolean;
}

export class ToolDto {
  @ApiProperty({ enum: ['function'] }) @IsIn(['function']) type!: 'function';
  @ApiProperty({ type: FunctionDefinitionDto })
  @IsDefined()
  @ValidateNested()
  @Type(() => FunctionDefinitionDto)
  function!: FunctionDefinitionDto;
}

export class MessageDto implements ChatMessage {
  @ApiProperty({ enum: CHAT_ROLES })
  @IsIn(CHAT_ROLES)
  role!: ChatMessage['role'];

  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object' } }], nullable: true })
  @Validate(MessageContentConstraint)
  content!: ChatMessage['content'];

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(256) name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(256) tool_call_id?: string;
  @ApiPropertyOptional({ type: [ToolCallDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TOOLS)
  @ValidateNested({ each: true })
  @Type(() => ToolCallDto)
  tool_calls?: ToolCallDto[];
}

export class JsonSchemaDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(64) name!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() description?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  schema?: Record<string, unknown>;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() strict?: boolean;
}

export class ResponseFormatDto {
  @ApiProperty({ enum: ['text', 'json_object', 'json_schema'] })
  @IsIn(['text', 'json_object', 'json_schema'])
  type!: ResponseFormat['type'];

  @ApiPropertyOptional({ type: JsonSchemaDto, description: 'Required when type is json_schema.' })
  @ValidateIf((format: ResponseFormatDto) => format.type === 'json_schema' || format.json_schema != null)
  @IsDefined({ message: 'json_schema is required when response_format.type is json_schema' })
  @ValidateNested()
  @Type(() => JsonSchemaDto)
  json_schema?: JsonSchemaDto;
}

/** OpenAI's chat-completions body; `model` is `provider/model` or a bare name (routed by ModelRouter). */
export class ChatCompletionRequestDto extends SamplingDto implements ChatCompletionRequest {
  @ModelNameProperty(
    "`provider/model`, or a bare name: routed to DEFAULT_MODEL's provider when it is set, else by prefix (gpt-, o1, o3, o4, chatgpt- to openai; claude- to anthropic; gemini- to gemini; deepseek- to deepseek), or to the mock while no real provider is configured",
  )
  model!: string;

  @ApiProperty({ type: [MessageDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10000)
  @ValidateNested({ each: true })
  @Type(() => MessageDto)
  messages!: MessageDto[];

  @ApiPropertyOptional({ minimum: 1 }) @IsOptional() @IsInt() @Min(1) max_completion_tokens?: number;

  @ApiPropertyOptional({ type: ResponseFormatDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ResponseFormatDto)
  response_format?: ResponseFormatDto & ResponseFormat;

  @ApiPropertyOptional({ type: [ToolDto], maxItems: MAX_TOOLS })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TOOLS)
  @ValidateNested({ each: true })
  @Type(() => ToolDto)
  tools?: ToolDto[];
  @ApiPropertyOptional({ oneOf: [{ type: 'string', enum: TOOL_CHOICES }, { type: 'object' }] })
  @IsOptional()
  @Validate(ToolChoiceConstraint)
  tool_choice?: unknown;
}
