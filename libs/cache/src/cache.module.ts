import { Module } from '@nestjs/common';
import { ResponseCache } from './response-cache';

/** The response cache; needs only the global AppConfig, RedisConnections and Metrics, so the worker can import it too. */
@Module({ providers: [ResponseCache], exports: [ResponseCache] })
export class CacheModule {}
