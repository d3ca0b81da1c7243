import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { FastifyReply } from 'fastify';
import { RedisHealthIndicator } from './redis.health';

type ReadinessResult = Omit<HealthCheckResult, 'status'> & {
  status: HealthCheckResult['status'] | 'degraded';
};

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: RedisHealthIndicator,
  ) {}

  /** The process answers: nothing else is checked, so a dependency outage never restarts pods. */
  @Get('live')
  @ApiOkResponse({ description: 'The process is alive.' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /**
   * 200 `ok` or `degraded` (Redis down: embedded mode); 503 only when no work can be accepted
   * (shutting down). Terminus's own JSON in both cases.
   */
  @Get('ready')
  @ApiOkResponse({ description: 'Accepting work (status ok, or degraded in embedded mode).' })
  @ApiServiceUnavailableResponse({ description: 'Cannot accept work at all.' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessResult> {
    let result: HealthCheckResult;
    try {
      result = await this.health.check([]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      reply.status(503);
      return error.getResponse() as HealthCheckResult;
    }
    const redis = this.redis.check();
    const degraded = redis.redis.status === 'down';
    return {
      status: degraded ? 'degraded' : result.status,
      info: { ...result.info, ...(degraded ? {} : redis) },
      error: { ...result.error, ...(degraded ? redis : {}) },
      details: { ...result.details, ...redis },
    };
  }
}
