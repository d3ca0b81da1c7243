import { Controller, Get, Query, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import { AppConfig } from '@breakwater/config';
import { Caller, GatewayError } from '@breakwater/contracts';
import { Usage, UsageReport } from '@breakwater/accounting';
import { CallerGuard } from '../auth/caller.guard';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ApiAnswer, ApiCaller, ApiContractErrors } from '../http/openapi';
import { RateLimitHeadersInterceptor } from '../http/rate-limit-headers.interceptor';

@ApiTags('admin')
@ApiCaller()
@UseGuards(CallerGuard)
@UseInterceptors(RateLimitHeadersInterceptor)
@Controller('v1')
export class UsageController {
  private readonly callerIds: Set<string>;

  constructor(
    private readonly usage: Usage,
    config: AppConfig,
  ) {
    this.callerIds = new Set(config.callers.list.map((caller) => caller.id));
  }

  /**
   * The caller's usage today and this month (UTC), in total and per model. A caller reads only its own
   * (another's id is 403: caller ids are not secret, so hiding them behind 404 would protect nothing);
   * an admin reads anyone's with `?caller=`, and an unknown id is 404.
   */
  @Get('usage')
  @ApiQuery({
    name: 'caller',
    type: String,
    required: false,
    description: "Admin only: another caller's id.",
  })
  @ApiAnswer(200, 'UsageReport', "The caller's usage, or with ?caller= (admin) another's.")
  @ApiContractErrors('FORBIDDEN', 'NOT_FOUND')
  async report(
    @CurrentCaller() caller: Caller,
    @Query('caller') requested: string | undefined,
  ): Promise<UsageReport> {
    const target = requested === undefined || requested === '' ? caller.id : requested;
    if (target !== caller.id) {
      if (caller.role !== 'admin') {
        throw new GatewayError(
          'FORBIDDEN',
          'a caller may read only its own usage: leave out ?caller= or pass your own id',
        );
      }
      if (!this.callerIds.has(target)) throw new GatewayError('NOT_FOUND', `no caller "${target}"`);
    }
    return this.usage.report(target);
  }
}
