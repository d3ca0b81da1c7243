import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsOptional,
  Validate,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { SamplingDto } from '../../chat/dto/sampling.dto';
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
export class CreateCompletionDto extends SamplingDto {
  @ModelNameProperty('`provider/model` or a bare name, as for chat completions.')
  model!: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 1 }],
    description: 'One user message. A list may hold one prompt only.',
  })
  @Validate(PromptConstraint)
  prompt!: string | string[];

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
