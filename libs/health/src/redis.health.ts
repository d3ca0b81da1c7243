import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { RedisConnections } from '@breakwater/redis';

/** Reports the shared Redis; its absence degrades the gateway (embedded mode) but does not stop it. */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisConnections,
  ) {}

  check(key = 'redis'): HealthIndicatorResult {
    const indicator = this.indicators.check(key);
    return this.redis.available
      ? indicator.up({ mode: 'shared' })
      : indicator.down({ mode: 'embedded', message: 'Redis unreachable: serving from process memory' });
  }
}
