import { Type } from 'class-transformer';
import { IsIn, IsNumber, IsObject, IsOptional, IsString, Min, ValidateNested } from 'class-validator';

const FINITE = { allowNaN: false, allowInfinity: false };

/** One model's prices, USD per million tokens. */
export class PriceEntryDocument {
  @IsNumber(FINITE) @Min(0) input!: number;
  @IsNumber(FINITE) @Min(0) output!: number;
}

/** `PRICING_FILE`: the shape of the shipped `pricing.json`, whose `updated`, `source` and `unit` are notes. */
export class PricingFileDocument {
  @IsOptional() @IsString() updated?: string;
  @IsOptional() @IsString() source?: string;
  @IsOptional() @IsIn(['USD per million tokens']) unit?: string;
  /** Keyed `provider/model`; a Map so that each entry is validated as a PriceEntryDocument. */
  @IsObject({ message: 'models must be a mapping of "provider/model" to {input, output}' })
  @ValidateNested({ each: true })
  @Type(() => PriceEntryDocument)
  models!: Map<string, PriceEntryDocument>;
}
