import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

const FINITE = { allowNaN: false, allowInfinity: false };

/** A route is the model then its fallbacks; six is the model plus as many as `x-fallback-models` allows. */
export const MAX_ALIAS_ROUTE = 6;
/** Aliases a MODELS_FILE may define: enough for any real deployment, and a bound on `GET /v1/models`. */
export const MAX_ALIASES = 500;
export const MAX_ROUTE_ENTRY_LENGTH = 256;

/** Fields an alias fills in a request that leaves them unset; the ranges are OpenAI's. */
export class AliasDefaultsDocument {
  @IsOptional() @IsNumber(FINITE) @Min(0) @Max(2) temperature?: number;
  @IsOptional() @IsInt() @Min(1) max_tokens?: number;
  @IsOptional() @IsNumber(FINITE) @Min(0) @Max(1) top_p?: number;
}

/** USD per million tokens, charged for the alias's route targets. */
export class AliasPriceDocument {
  @IsNumber(FINITE) @Min(0) input_per_million!: number;
  @IsNumber(FINITE) @Min(0) output_per_million!: number;
}

/** One alias in its long form; the short form `<alias>: [provider/model, ...]` is read as `{route: [...]}`. */
export class ModelAliasDocument {
  @IsArray({ message: 'route must be a non-empty list of provider/model names' })
  @ArrayNotEmpty({ message: 'route must be a non-empty list of provider/model names' })
  @ArrayMaxSize(MAX_ALIAS_ROUTE, { message: `route lists at most ${MAX_ALIAS_ROUTE} models` })
  @IsString({ each: true, message: 'route must hold provider/model names' })
  @MaxLength(MAX_ROUTE_ENTRY_LENGTH, {
    each: true,
    message: `route entries are at most ${MAX_ROUTE_ENTRY_LENGTH} characters`,
  })
  route!: string[];
  @IsOptional() @ValidateNested() @Type(() => AliasDefaultsDocument) defaults?: AliasDefaultsDocument;
  @IsOptional() @ValidateNested() @Type(() => AliasPriceDocument) price?: AliasPriceDocument;
}

/** `MODELS_FILE`: `models` keyed by alias name. */
export class ModelsFileDocument {
  /** A Map so that each entry is validated as a ModelAliasDocument. */
  @IsObject({ message: 'models must be a mapping of alias names to a route or {route, defaults, price}' })
  @ValidateNested({ each: true })
  @Type(() => ModelAliasDocument)
  models!: Map<string, ModelAliasDocument>;
}
