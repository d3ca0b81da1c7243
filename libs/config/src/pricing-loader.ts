import { PROVIDER_IDS } from '@breakwater/contracts';
import { PriceEntry } from './app-config';
import { ConfigError } from './config.error';
import { readConfigDocument, suggestion, validatedDocument } from './config-document';
import { PricingFileDocument } from './pricing-file.schema';

/** Reads `PRICING_FILE` (YAML or JSON, shaped like the shipped pricing.json) into prices by `provider/model`. */
export function loadPricingFile(path: string): Record<string, PriceEntry> {
  const source = `PRICING_FILE ${path}`;
  const document = readConfigDocument('PRICING_FILE', path);
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new ConfigError(`${source} must hold a mapping with models: {"provider/model": {input, output}}`);
  }
  const { models } = validatedDocument(PricingFileDocument, { ...document }, source);
  const prices: Record<string, PriceEntry> = {};
  for (const [name, { input, output }] of models) {
    const at = `${source}: models[${JSON.stringify(name)}]`;
    const [provider, ...model] = name.split('/');
    if (model.join('/') === '') throw new ConfigError(`${at} must be provider/model, e.g. openai/gpt-4o`);
    if (!(PROVIDER_IDS as readonly string[]).includes(provider)) {
      throw new ConfigError(`${at}: unknown provider "${provider}"${suggestion(provider, PROVIDER_IDS)}`);
    }
    prices[name] = { input, output };
  }
  return prices;
}
