import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
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
  ValidateNested,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { CHAT_ROLES, ChatCompletionRequest, ChatMessage, ResponseFormat } from '@breakwater/contracts';

@ValidatorConstraint({ name: 'messageContent' })
class MessageContentConstraint implements ValidatorConstraintInterface {
  validate(content: unknown, args: ValidationArguments): boolean {
    if (typeof content === 'string') return true;
    if (content === null || content === undefined) {
      const message = args.object as MessageDto;
      return message.role === 'assistant' && Array.isArray(message.tool_calls);
    }
    return (
      Array.isArray(content) &&
      content.length > 0 &&
      content.every((part) => typeof part === 'object' && part !== null && typeof part.type === 'string')
    );
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be a string or a non-empty array of content parts with a type (null only for assistant tool calls)`;
  }
}

@ValidatorConstraint({ name: 'stop' })
class StopConstraint implements ValidatorConstraintInterface {
  validate(stop: unknown): boolean {
    if (typeof stop === 'string') return true;
    return Array.isArray(stop) && stop.length <= 4 && stop.every((s) => typeof s === 'string');
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be a string or an array of up to 4 strings`;
  }
}

export class MessageDto implements ChatMessage {
  @ApiProperty({ enum: CHAT_ROLES })
  @IsIn(CHAT_ROLES)
  role!: ChatMessage['role'];

  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object' } }], nullable: true })
  @Validate(MessageContentConstraint)
  content!: ChatMessage['content'];

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(256) name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() tool_call_id?: string;
  @ApiPropertyOptional({ type: 'array', items: { type: 'object' } })
  @IsOptional()
  @IsArray()
  tool_calls?: ChatMessage['tool_calls'];
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

  @ApiPropertyOptional({ type: JsonSchemaDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => JsonSchemaDto)
  json_schema?: JsonSchemaDto;
}

/** OpenAI's chat-completions body; `model` is `provider/model` or a bare name for DEFAULT_MODEL's provider. */
export class ChatCompletionRequestDto implements ChatCompletionRequest {
  @ApiProperty({
    example: 'mock/echo',
    description: "`provider/model`, or a bare name routed to DEFAULT_MODEL's provider",
  })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  model!: string;

  @ApiProperty({ type: [MessageDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10000)
  @ValidateNested({ each: true })
  @Type(() => MessageDto)
  messages!: MessageDto[];

  @ApiPropertyOptional({ minimum: 0, maximum: 2 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 1 }) @IsOptional() @IsNumber() @Min(0) @Max(1) top_p?: number;
  @ApiPropertyOptional({ minimum: 1, maximum: 16 }) @IsOptional() @IsInt() @Min(1) @Max(16) n?: number;
  @ApiPropertyOptional({ minimum: 1 }) @IsOptional() @IsInt() @Min(1) max_tokens?: number;
  @ApiPropertyOptional({ minimum: 1 }) @IsOptional() @IsInt() @Min(1) max_completion_tokens?: number;
  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] })
  @IsOptional()
  @Validate(StopConstraint)
  stop?: string | string[];
  @ApiPropertyOptional({ minimum: -2, maximum: 2 })
  @IsOptional()
  @IsNumber()
  @Min(-2)
  @Max(2)
  presence_penalty?: number;
  @ApiPropertyOptional({ minimum: -2, maximum: 2 })
  @IsOptional()
  @IsNumber()
  @Min(-2)
  @Max(2)
  frequency_penalty?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() seed?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(256) user?: string;

  @ApiPropertyOptional({ type: ResponseFormatDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ResponseFormatDto)
  response_format?: ResponseFormatDto & ResponseFormat;

  @ApiPropertyOptional({ type: 'array', items: { type: 'object' } })
  @IsOptional()
  @IsArray()
  tools?: ChatCompletionRequest['tools'];
  @ApiPropertyOptional() @IsOptional() tool_choice?: unknown;

  @ApiPropertyOptional({ description: 'Streaming is not supported: omit it or send false.' })
  @IsOptional()
  @IsIn([false], { message: 'stream must be false or absent: streaming responses are not supported' })
  stream?: boolean;
}
