import { Controller, Get, HttpCode, Param, Post, Query, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Caller, GatewayError, PROVIDER_IDS, isProviderId } from '@breakwater/contracts';
import { ProviderDescription, ProviderRegistry, ProviderTestResult } from '@breakwater/llm-provider';
import { CallerGuard } from '../auth/caller.guard';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ApiAnswer, ApiCaller, ApiContractErrors } from '../http/openapi';
import { RateLimitHeadersInterceptor } from '../http/rate-limit-headers.interceptor';

/** Longer than any provider's model name; a longer `?model=` is refused before it reaches a provider. */
const MAX_MODEL_LENGTH = 256;

@ApiTags('admin')
@ApiCaller()
@UseGuards(CallerGuard)
@UseInterceptors(RateLimitHeadersInterceptor)
@Controller('v1')
export class ProvidersController {
  constructor(private readonly providers: ProviderRegistry) {}

  /** Each provider: configured or not, its circuit state, and its priced models (USD per million tokens). */
  @Get('providers')
  @ApiAnswer(200, 'ProviderList', 'Every provider, configured or not.')
  list(): { object: 'list'; data: ProviderDescription[] } {
    return { object: 'list', data: this.providers.describe() };
  }

  /**
   * One minimal call to the provider (a one-message request to a cheap model, or `?model=`), around the
   * cache and the queue but through its circuit breaker and metrics; admin only, since it spends the
   * provider's quota. A failing or unconfigured provider is a 200 with `ok: false` and the error.
   */
  @Post('providers/:provider/test')
  @HttpCode(200)
  @ApiParam({ name: 'provider', enum: [...PROVIDER_IDS] })
  @ApiQuery({
    name: 'model',
    type: String,
    required: false,
    description: "The provider's model to ask (default: its cheapest chat model; required for replay).",
  })
  @ApiAnswer(200, 'ProviderTest', 'Whether the provider answered, in how long, or why not.')
  @ApiContractErrors('INVALID_REQUEST', 'FORBIDDEN', 'NOT_FOUND')
  test(
    @CurrentCaller() caller: Caller,
    @Param('provider') provider: string,
    @Query('model') model?: unknown,
  ): Promise<ProviderTestResult> {
    if (caller.role !== 'admin') {
      throw new GatewayError('FORBIDDEN', 'only an admin caller may test a provider');
    }
    if (!isProviderId(provider)) {
      throw new GatewayError(
        'NOT_FOUND',
        `no provider "${provider.slice(0, 64)}"; use one of ${PROVIDER_IDS.join(', ')}`,
      );
    }
    return this.providers.test(provider, modelOf(model));
  }
}

function modelOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > MAX_MODEL_LENGTH) {
    throw GatewayError.invalid('model', `model must be given once, 1 to ${MAX_MODEL_LENGTH} characters`);
  }
  return value;
}
