import { Controller, Delete, HttpCode, Query, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import { CACHE_KEY_PREFIX, ResponseCache } from '@breakwater/cache';
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

  /**
   * Deletes cached answers in Redis and in every replica's in-process tier. An admin may name any
   * namespace, or none for all; a caller only its own (its `cache.namespace`), which is also what it
   * deletes without parameters: another namespace is 403.
   */
  @Delete('cache')
  @HttpCode(200)
  @ApiQuery({
    name: 'namespace',
    type: String,
    required: false,
    description:
      'Only this namespace (a caller id by default). A caller that is not admin may name only its own, which is also the default for it.',
  })
  @ApiQuery({
    name: 'key',
    type: String,
    required: false,
    description:
      "One entry: a full `bw:cache:v1:<namespace>:<sha256>` key, or a caller's `x-cache-key` with `namespace`.",
  })
  @ApiAnswer(
    200,
    'CacheDeleted',
    "The entries deleted. Without parameters: every entry (admin), or the caller's own namespace.",
  )
  @ApiContractErrors('INVALID_REQUEST', 'FORBIDDEN')
  async invalidate(
    @CurrentCaller() caller: Caller,
    @Query('namespace') namespace?: unknown,
    @Query('key') key?: unknown,
  ): Promise<{ deleted: number }> {
    const selector = { namespace: single(namespace, 'namespace'), key: single(key, 'key') };
    if (caller.role === 'admin') return { deleted: await this.cache.invalidate(selector) };
    const own = caller.cache.namespace;
    const named = selector.namespace ?? namespaceOfKey(selector.key) ?? own;
    if (named !== own) {
      throw new GatewayError(
        'FORBIDDEN',
        `a caller may invalidate only its own cache namespace ("${own}"); other namespaces are for admin callers`,
      );
    }
    return { deleted: await this.cache.invalidate({ namespace: own, key: selector.key }) };
  }
}

/** The namespace a `bw:cache:v1:<namespace>:…` key names; undefined for a caller's own `x-cache-key`. */
function namespaceOfKey(key: string | undefined): string | undefined {
  if (!key?.startsWith(CACHE_KEY_PREFIX)) return undefined;
  return key.slice(CACHE_KEY_PREFIX.length).split(':')[0];
}

/** One query value; a repeated parameter would make the selection ambiguous. */
function single(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw GatewayError.invalid(name, `${name} must be given once`);
  return value;
}
