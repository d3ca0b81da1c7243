import { Controller, Get, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ProviderDescription, ProviderRegistry } from '@breakwater/llm-provider';
import { CallerGuard } from '../auth/caller.guard';
import { ApiAnswer, ApiCaller } from '../http/openapi';
import { RateLimitHeadersInterceptor } from '../http/rate-limit-headers.interceptor';

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
}
