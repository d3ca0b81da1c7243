import { ArgumentMetadata, Injectable, ValidationPipe } from '@nestjs/common';
import { GatewayError } from '@breakwater/contracts';
import { flattenValidationErrors } from '@breakwater/config';
import { isEverydayChatRequest } from '../chat/dto/chat-request.fast-check';
import { chatBodyOf } from '../chat/dto/chat-body';
import { ChatCompletionRequestDto } from '../chat/dto/chat-completion-request.dto';
import { validationViewOf } from '../chat/dto/validation-view';
import { CreateResponseDto } from '../responses/dto/create-response.dto';
import { responseValidationViewOf } from '../responses/dto/response-validation-view';

/**
 * Validates bodies against their DTOs and answers 400 INVALID_REQUEST naming the first field at fault
 * (`param`) and every problem in the message. Handlers receive the body as sent (no transformation).
 * A chat body is normalised first (chatBodyOf: nulls as absent, vendor fields bounded).
 * An everyday chat body passes a compiled schema first (isEverydayChatRequest) and skips class-validator.
 * A Responses body is validated through its view (responseValidationViewOf), as a chat body is.
 */
@Injectable()
export class RequestValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: false,
      forbidUnknownValues: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => {
        const problems = flattenValidationErrors(errors);
        return GatewayError.invalid(problems[0]?.path ?? 'body', problems.map((p) => p.message).join('; '));
      },
    });
  }

  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      throw GatewayError.invalid('body', 'request body must be a JSON object');
    }
    if (metadata.metatype === CreateResponseDto) {
      const body = value as Record<string, unknown>;
      return super.transform(responseValidationViewOf(body), metadata).then(() => body);
    }
    if (metadata.metatype !== ChatCompletionRequestDto) return super.transform(value, metadata);
    const body = chatBodyOf(value as Record<string, unknown>);
    if (isEverydayChatRequest(body)) return Promise.resolve(body);
    // The handler receives the body as sent (nulls aside); only its validation sees the embedded schemas as `{}`.
    return super.transform(validationViewOf(body), metadata).then(() => body);
  }
}
