import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
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
  Validate,
  ValidateNested,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { StreamOptionsDto } from '../../chat/dto/chat-completion-request.dto';
import { ModelNameProperty } from '../../chat/dto/model-name';

/** `prompt`: text, or a list holding one text (a list of several would be one provider call each). */
@ValidatorConstraint({ name: 'prompt' })
class PromptConstraint implements ValidatorConstraintInterface {
  validate(prompt: unknown): boolean {
    if (typeof prompt === 'string') return true;
    return Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string';
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be a string or a list of one string (several prompts and token arrays are not supported)`;
  }
}

@ValidatorConstraint({ name: 'completionStop' })
class StopConstraint implements ValidatorConstraintInterface {
  validate(stop: unknown): boolean {
    if (typeof stop === 'string') return true;
    return Array.isArray(stop) && stop.length <= 4 && stop.every((s) => typeof s === 'string');
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be a string or an array of up to 4 strings`;
  }
}

@ValidatorConstraint({ name: 'completionNotSupported' })
class NotSupportedConstraint implements ValidatorConstraintInterface {
  validate(): boolean {
    return false;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} is not supported: legacy completions are answered through chat models`;
  }
}

/** OpenAI's legacy completions body (`POST /v1/completions`), answered as one user message through the chat path. */
export class CreateCompletionDto {
  @ModelNameProperty('`provider/model` or a bare name, as for chat completions.')
  model!: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 1 }],
    description: 'One user message. A list may hold one prompt only.',
  })
  @Validate(PromptConstraint)
  prompt!: string | string[];

  @ApiPropertyOptional({ minimum: 1 }) @IsOptional() @IsInt() @Min(1) max_tokens?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 2 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 1 }) @IsOptional() @IsNumber() @Min(0) @Max(1) top_p?: number;
  @ApiPropertyOptional({ minimum: 1, maximum: 16 }) @IsOptional() @IsInt() @Min(1) @Max(16) n?: number;
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

  @ApiPropertyOptional({
    description: 'Answer as `text/event-stream`: `text_completion` chunks, then `data: [DONE]`.',
  })
  @IsOptional()
  @IsBoolean()
  stream?: boolean;
  @ApiPropertyOptional({ type: () => StreamOptionsDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => StreamOptionsDto)
  stream_options?: StreamOptionsDto;

  @ApiPropertyOptional({ description: 'Refused when set.' })
  @IsOptional()
  @Validate(NotSupportedConstraint)
  suffix?: unknown;
  @ApiPropertyOptional({ description: 'Refused when true.' })
  @IsOptional()
  @IsIn([false], { message: '$property: true is not supported' })
  echo?: boolean;
  @ApiPropertyOptional({ description: 'Refused when set.' })
  @IsOptional()
  @Validate(NotSupportedConstraint)
  logprobs?: unknown;
  @ApiPropertyOptional({ description: 'Refused unless 1.' })
  @IsOptional()
  @IsIn([1], { message: '$property other than 1 is not supported' })
  best_of?: number;
}
