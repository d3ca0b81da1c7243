import { PROVIDER_IDS } from '@breakwater/contracts';
import { ModelAlias, PriceEntry } from './app-config';
import { ConfigError } from './config.error';
import { readConfigDocument, suggestion, validatedDocument } from './config-document';
import { MAX_ALIASES, ModelsFileDocument } from './models-file.schema';

/** An alias is a model name a caller sends, so it takes the model-name characters, but never a `/`. */
const ALIAS_NAME = /^[A-Za-z0-9@][A-Za-z0-9._:@+-]{0,127}$/;
/** The model part of a route entry: the characters a caller's `model` may hold. */
const ROUTE_MODEL = /^[A-Za-z0-9@][A-Za-z0-9._:@+/-]*$/;

/** The aliases of MODELS_FILE, and the prices they set on their route targets (`provider/model` keys). */
export interface ModelsFile {
  aliases: ReadonlyMap<string, ModelAlias>;
  prices: Record<string, PriceEntry>;
}

/**
 * Reads `MODELS_FILE` (YAML or JSON): `models: {<alias>: {route, defaults?, price?}}` or, per alias, the
 * short form `<alias>: [provider/model, ...]`. Every mistake stops start-up naming its path.
 */
export function loadModelsFile(path: string): ModelsFile {
  return toModels(readConfigDocument('MODELS_FILE', path), `MODELS_FILE ${path}`);
}

export function toModels(document: unknown, source: string): ModelsFile {
  if (!isMapping(document)) {
    throw new ConfigError(`${source} must hold models: {<alias>: [provider/model, ...]}`);
  }
  const entries = isMapping(document.models) ? Object.entries(document.models) : undefined;
  if (entries && entries.length > MAX_ALIASES) {
    throw new ConfigError(`${source}: models defines ${entries.length} aliases; at most ${MAX_ALIASES}`);
  }
  const longForm = entries
    ? Object.fromEntries(
        entries.map(([name, entry]) => [name, Array.isArray(entry) ? { route: entry } : entry]),
      )
    : document.models;
  const { models } = validatedDocument(ModelsFileDocument, { ...document, models: longForm }, source);
  // class-transformer leaves out keys such as `constructor` when it builds the Map; such an alias would
  // vanish without a word, so it is refused instead.
  const dropped = entries?.find(([name]) => !models.has(name));
  if (dropped) {
    throw new ConfigError(
      `${source}: models[${JSON.stringify(dropped[0])}]: this name is reserved; choose another`,
    );
  }
  const aliases = new Map<string, ModelAlias>();
  const prices = new Map<string, { price: PriceEntry; alias: string }>();
  for (const [name, entry] of models) {
    const at = `${source}: models[${JSON.stringify(name)}]`;
    if (!ALIAS_NAME.test(name)) {
      throw new ConfigError(
        `${at}: an alias name is 1-128 of letters, digits and . _ - : @ +, with no "/" (that names a provider)`,
      );
    }
    entry.route.forEach((target, index) => assertRouteEntry(target, `${at}.route[${index}]`));
    const price = entry.price && {
      input: entry.price.input_per_million,
      output: entry.price.output_per_million,
    };
    for (const target of price ? entry.route : []) {
      const earlier = prices.get(target);
      if (earlier && (earlier.price.input !== price?.input || earlier.price.output !== price?.output)) {
        throw new ConfigError(
          `${at}.price: ${target} is priced differently by alias "${earlier.alias}"; a model has one price`,
        );
      }
      if (price) prices.set(target, { price, alias: name });
    }
    aliases.set(name, {
      route: [...entry.route],
      defaults: { ...entry.defaults },
      ...(price ? { price } : {}),
    });
  }
  return {
    aliases,
    prices: Object.fromEntries([...prices].map(([target, { price }]) => [target, price])),
  };
}

function assertRouteEntry(target: string, at: string): void {
  const slash = target.indexOf('/');
  const provider = target.slice(0, Math.max(slash, 0));
  const model = target.slice(slash + 1);
  if (slash === -1 || !ROUTE_MODEL.test(model)) {
    throw new ConfigError(`${at} must be provider/model, e.g. openai/gpt-4o-mini`);
  }
  if (!(PROVIDER_IDS as readonly string[]).includes(provider)) {
    throw new ConfigError(`${at}: unknown provider "${provider}"${suggestion(provider, PROVIDER_IDS)}`);
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
