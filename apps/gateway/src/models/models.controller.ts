import { Controller, Get, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Caller } from '@breakwater/contracts';
import { CallerGuard } from '../auth/caller.guard';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ApiAnswer, ApiCaller } from '../http/openapi';
import { RateLimitHeadersInterceptor } from '../http/rate-limit-headers.interceptor';
import { ModelAccess, ModelEntry } from './model-access';

@ApiTags('models')
@ApiCaller()
@UseGuards(CallerGuard)
@UseInterceptors(RateLimitHeadersInterceptor)
@Controller('v1')
export class ModelsController {
  constructor(private readonly models: ModelAccess) {}

  /**
   * OpenAI's model list, which many OpenAI-compatible tools ask first: the MODELS_FILE aliases and the
   * `provider/model` names of configured providers (their priced models and alias targets, and the mock's
   * while it is enabled), narrowed to the caller's `models` allow-list.
   */
  @Get('models')
  @ApiAnswer(200, 'ModelList', 'The aliases and provider/model names this caller may use.')
  list(@CurrentCaller() caller: Caller): { object: 'list'; data: ModelEntry[] } {
    return { object: 'list', data: this.models.list(caller) };
  }
}
