import { Module } from '@nestjs/common';
import { LlmProviderModule } from '@breakwater/llm-provider';
import { ResponseCache } from './response-cache';

/**
 * The response cache; needs the global AppConfig, RedisConnections and Metrics, and the provider step's
 * structured-output check (a cached answer must satisfy the request's response_format as a fresh one must).
 */
@Module({ imports: [LlmProviderModule], providers: [ResponseCache], exports: [ResponseCache] })
export class CacheModule {}
