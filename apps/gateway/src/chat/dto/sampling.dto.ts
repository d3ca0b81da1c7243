import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
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

export class StreamOptionsDto {
  @ApiPropertyOptional({ description: 'A last chunk with no choices carries the usage.' })
  @IsOptional()
  @IsBoolean()
  include_usage?: boolean;
}

/**
 * The generation and streaming fields the chat and the legacy completions bodies share, with OpenAI's
 * bounds: each endpoint's body extends this and adds its own (messages, or a prompt).
 */
export class SamplingDto {
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
    description:
      'Answer as `text/event-stream`: the endpoint\'s chunks, then `data: [DONE]`. A failure after the first chunk ends the stream with an `{"error": {...}}` event.',
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
}
