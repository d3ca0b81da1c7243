import { Controller, Get, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ProviderDescription, ProviderRegistry } from '@breakwater/llm-provider';
import { CallerGuard } from '../auth/caller.guard';
import { RateLimitHeadersInterceptor } from '../http/rate-limit-headers.interceptor';

@ApiTags('admin')
@ApiBearerAuth()
@ApiSecurity('x-api-key')
@UseGuards(CallerGuard)
@UseInterceptors(RateLimitHeadersInterceptor)
@Controller('v1')
export class ProvidersController {
  constructor(private readonly providers: ProviderRegistry) {}

  /** Each provider: configured or not, its circuit state, and its priced models (USD per million tokens). */
  @Get('providers')
  @ApiOkResponse({ description: '{"data": [{"id", "configured", "circuit", "models": [...]}]}' })
  list(): { object: 'list'; data: ProviderDescription[] } {
    return { object: 'list', data: this.providers.describe() };
  }
}
