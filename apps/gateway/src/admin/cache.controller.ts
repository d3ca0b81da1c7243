import { Controller, Delete, HttpCode, Query, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import { ResponseCache } from '@breakwater/cache';
import { Caller, GatewayError } from '@breakwater/contracts';
import { CallerGuard } from '../auth/caller.guard';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ApiAnswer, ApiCaller, ApiContractErrors } from '../http/openapi';
import { RateLimitHeadersInterceptor } from '../http/rate-limit-headers.interceptor';

@ApiTags('admin')
@ApiCaller()
@UseGuards(CallerGuard)
@UseInterceptors(RateLimitHeadersInterceptor)
@Controller('v1')
export class CacheController {
  constructor(private readonly cache: ResponseCache) {}

  /** Deletes cached answers in Redis and in every replica's in-process tier; admin only. */
  @Delete('cache')
  @HttpCode(200)
  @ApiQuery({
    name: 'namespace',
    type: String,
    required: false,
    description: 'Only this namespace (a caller id by default).',
  })
  @ApiQuery({
    name: 'key',
    type: String,
    required: false,
    description:
      "One entry: a full `bw:cache:v1:<namespace>:<sha256>` key, or a caller's `x-cache-key` with `namespace`.",
  })
  @ApiAnswer(200, 'CacheDeleted', 'The entries deleted. Without parameters, every entry.')
  @ApiContractErrors('INVALID_REQUEST', 'FORBIDDEN')
  async invalidate(
    @CurrentCaller() caller: Caller,
    @Query('namespace') namespace?: unknown,
    @Query('key') key?: unknown,
  ): Promise<{ deleted: number }> {
    if (caller.role !== 'admin') {
      throw new GatewayError('FORBIDDEN', 'only an admin caller may invalidate the cache');
    }
    const deleted = await this.cache.invalidate({
      namespace: single(namespace, 'namespace'),
      key: single(key, 'key'),
    });
    return { deleted };
  }
}

/** One query value; a repeated parameter would make the selection ambiguous. */
function single(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw GatewayError.invalid(name, `${name} must be given once`);
  return value;
}
