import { Type } from 'class-transformer';
import { PRIORITIES, PROCESSING_MODES, Priority, ProcessingMode } from '@breakwater/contracts';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

/** A `models` allow-list's bounds: a pattern is a model name that may hold `*`. */
export const MAX_ALLOWED_MODELS = 100;
const MODEL_GLOB = /^[A-Za-z0-9@*][A-Za-z0-9._:@+/*-]{0,255}$/;

/** Contract, 2026-11-30: a shorter key is guessable enough to refuse. */
export const MIN_KEY_LENGTH = 16;

export class CallerLimitsEntry {
  @IsOptional() @IsInt() @Min(1) per_minute?: number;
  @IsOptional() @IsInt() @Min(1) per_hour?: number;
  @IsOptional() @IsInt() @Min(1) per_day?: number;
  @IsOptional() @IsInt() @Min(1) concurrency?: number;
  @IsOptional() @IsInt() @Min(1) tokens_per_day?: number;
  @IsOptional() @IsNumber() @Min(0) cost_usd_per_day?: number;
}

export class CallerCacheEntry {
  @IsOptional() @IsBoolean() enabled?: boolean;
  @IsOptional() @IsInt() @Min(1) ttl_seconds?: number;
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'namespace must be 1-64 of A-Z a-z 0-9 _ . -' })
  namespace?: string;
}

/** One entry of `CALLERS_FILE`, as users write it. */
export class CallerEntry {
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'id must be 1-64 of A-Z a-z 0-9 _ . -' }) id!: string;
  @IsOptional()
  @IsString()
  @MinLength(MIN_KEY_LENGTH, { message: `key must be at least ${MIN_KEY_LENGTH} characters` })
  key?: string;
  @IsOptional()
  @Matches(/^[0-9a-f]{64}$/i, { message: 'key_sha256 must be 64 hex characters' })
  key_sha256?: string;
  @IsOptional() @IsIn(['caller', 'admin']) role?: 'caller' | 'admin';
  @IsOptional() @ValidateNested() @Type(() => CallerLimitsEntry) limits?: CallerLimitsEntry;
  @IsOptional() @ValidateNested() @Type(() => CallerLimitsEntry) end_user_limits?: CallerLimitsEntry;
  @IsOptional() @ValidateNested() @Type(() => CallerCacheEntry) cache?: CallerCacheEntry;
  @IsOptional() @IsString() @MinLength(16) webhook_secret?: string;
  @IsOptional()
  @IsIn(PROCESSING_MODES, { message: `processing_mode must be one of ${PROCESSING_MODES.join(', ')}` })
  processing_mode?: ProcessingMode;
  /** The queue priority of this caller's requests without `x-priority`. */
  @IsOptional()
  @IsIn(PRIORITIES, { message: `priority must be one of ${PRIORITIES.join(', ')}` })
  priority?: Priority;
  /** The highest `x-priority` this caller may ask for; higher asks are lowered to it. */
  @IsOptional()
  @IsIn(PRIORITIES, { message: `max_priority must be one of ${PRIORITIES.join(', ')}` })
  max_priority?: Priority;
  /** Aliases and `provider/model` names this caller may use, `*` matching any run of characters. */
  @IsOptional()
  @IsArray({ message: 'models must be a list of model names or patterns' })
  @ArrayMaxSize(MAX_ALLOWED_MODELS, { message: `models lists at most ${MAX_ALLOWED_MODELS} patterns` })
  @Matches(MODEL_GLOB, {
    each: true,
    message: 'models entries are model names or patterns: letters, digits, . _ - : / @ + and *, up to 256',
  })
  models?: string[];
}

/** The whole `CALLERS_FILE`; a bare list is read as `{callers: <list>}`. */
export class CallersFileDocument {
  @IsArray({ message: 'callers must be a non-empty list of callers' })
  @ArrayNotEmpty({ message: 'callers must be a non-empty list of callers' })
  @ValidateNested({ each: true })
  @Type(() => CallerEntry)
  callers!: CallerEntry[];
}
