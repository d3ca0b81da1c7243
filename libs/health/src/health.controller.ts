import { Abstract, Controller, Get, OnModuleInit, Res, ServiceUnavailableException } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { FastifyReply } from 'fastify';
import { ReadinessDetail, ReadinessDetails, ReadinessGate } from './readiness-gate';
import { RedisHealthIndicator } from './redis.health';
import { ShutdownState } from './shutdown-state';

type ReadinessResult = Omit<HealthCheckResult, 'status'> & {
  status: HealthCheckResult['status'] | 'degraded';
};

@ApiTags('health')
@Controller('health')
export class HealthController implements OnModuleInit {
  private gate?: ReadinessGate;
  private shown?: ReadinessDetails;

  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: RedisHealthIndicator,
    private readonly shutdown: ShutdownState,
    private readonly moduleRef: ModuleRef,
  ) {}

  /**
   * The libs that judge or show readiness (the queue's gate, the providers' breakers), wherever in the
   * app they are provided; either may be absent (the health lib alone, in its tests).
   */
  onModuleInit(): void {
    this.gate = this.provided(ReadinessGate);
    this.shown = this.provided(ReadinessDetails);
  }

  /** The process answers: nothing else is checked, so a dependency outage never restarts pods. */
  @Get('live')
  @ApiOkResponse({ description: 'The process is alive.' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /**
   * 200 `ok` or `degraded` (Redis down: embedded mode); 503 only when no work can be accepted
   * (from the stop signal on, or Redis down with the local queue full). Terminus's own JSON in every case, with
   * the providers' circuits shown (`providers`), never judged.
   */
  @Get('ready')
  @ApiOkResponse({ description: 'Accepting work (status ok, or degraded in embedded mode).' })
  @ApiServiceUnavailableResponse({ description: 'Cannot accept work at all.' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessResult> {
    if (this.shutdown.shuttingDown) {
      reply.status(503);
      const shutdown = { shutdown: { status: 'down' as const, message: 'shutting down' } };
      return { status: 'shutting_down', info: {}, error: shutdown, details: shutdown };
    }
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
    const shown: Record<string, ReadinessDetail> = this.shown?.readinessDetails() ?? {};
    const blocked = this.gate?.blockedBy();
    if (blocked) {
      reply.status(503);
      const queue = { queue: { status: 'down' as const, message: blocked } };
      return {
        status: 'error',
        info: { ...result.info, ...shown },
        error: { ...redis, ...queue },
        details: { ...redis, ...shown, ...queue },
      };
    }
    return {
      status: degraded ? 'degraded' : result.status,
      info: { ...result.info, ...shown, ...(degraded ? {} : redis) },
      error: { ...result.error, ...(degraded ? redis : {}) },
      details: { ...result.details, ...shown, ...redis },
    };
  }

  private provided<T>(token: Abstract<T>): T | undefined {
    try {
      return this.moduleRef.get(token, { strict: false });
    } catch {
      return undefined;
    }
  }
}
