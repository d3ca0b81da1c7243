import { Injectable } from '@nestjs/common';
import { AppConfig, ModelAlias, ModelAllowList } from '@breakwater/config';
import { Caller, ChatCompletionRequest, GatewayError, HEADER } from '@breakwater/contracts';
import { ProviderRegistry } from '@breakwater/llm-provider';

/** One entry of `GET /v1/models`, as OpenAI lists a model. */
export interface ModelEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/** What a request asks for once its alias is applied: defaults filled in, the alias's route as fallbacks. */
export interface PreparedModels {
  request: ChatCompletionRequest;
  fallbackModels: string[];
}

/** Who an alias belongs to in `GET /v1/models`: the gateway defines it, whichever provider answers. */
const ALIAS_OWNER = 'breakwater';
/** The mock's model that `GET /v1/models` lists while the mock is enabled. */
const MOCK_MODEL = 'mock/echo';

/**
 * The MODELS_FILE aliases and the callers' `models` allow-lists on the request path, and the list of
 * models a caller may use. An alias sends the request to its first model (ModelRouter) with the rest of
 * its route as fallbacks ahead of `x-fallback-models`, and fills the fields the request leaves unset.
 * A caller with an allow-list may name only what it matches, fallbacks included: an alias by its own name
 * (its route comes with it), anything else by the name sent or the `provider/model` it routes to.
 */
@Injectable()
export class ModelAccess {
  private readonly aliases: ReadonlyMap<string, ModelAlias>;
  private readonly allowLists: ReadonlyMap<string, ModelAllowList>;
  /** OpenAI's `created` of a model; the gateway's names exist since it started. */
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(
    config: AppConfig,
    private readonly providers: ProviderRegistry,
  ) {
    this.aliases = config.models.aliases;
    this.allowLists = config.callers.allowedModels;
  }

  /** Throws 403 FORBIDDEN naming `model` or `x-fallback-models` for a name outside the caller's allow-list. */
  prepare(caller: Caller, request: ChatCompletionRequest, fallbackModels: string[]): PreparedModels {
    this.assertAllowed(caller, request.model, 'model');
    for (const name of fallbackModels) this.assertAllowed(caller, name, HEADER.fallbackModels);
    const alias = this.aliases.get(request.model);
    const expanded = fallbackModels.flatMap((name) => this.aliases.get(name)?.route ?? [name]);
    const chain = [...(alias?.route.slice(1) ?? []), ...expanded];
    const first = alias?.route[0] ?? request.model;
    return {
      request: alias ? withDefaults(request, alias) : request,
      fallbackModels: [...new Set(chain)].filter((name) => name !== first),
    };
  }

  /** The aliases and `provider/model` names of configured providers that this caller may use. */
  list(caller: Caller): ModelEntry[] {
    const providers = this.providers.describe().filter((provider) => provider.configured);
    const configured = new Set<string>(providers.map((provider) => provider.id));
    const usable = (target: string) => configured.has(target.slice(0, target.indexOf('/')));
    const entries = new Map<string, string>();
    for (const [name, alias] of this.aliases) {
      if (alias.route.some(usable)) entries.set(name, ALIAS_OWNER);
    }
    const priced = providers.flatMap((provider) => provider.models.map((model) => model.id));
    const targets = [...this.aliases.values()].flatMap((alias) => alias.route);
    for (const name of [...priced, ...targets, MOCK_MODEL]) {
      if (usable(name) && !entries.has(name)) entries.set(name, name.slice(0, name.indexOf('/')));
    }
    const allowList = this.allowLists.get(caller.id);
    return [...entries]
      .filter(([name]) => !allowList || allowList.allows(name))
      .map(([id, owner]) => ({ id, object: 'model', created: this.created, owned_by: owner }));
  }

  private assertAllowed(caller: Caller, name: string, param: string): void {
    const allowList = this.allowLists.get(caller.id);
    if (!allowList || allowList.allows(name)) return;
    if (!this.aliases.has(name)) {
      const route = this.providers.resolve(name, param);
      if (allowList.allows(`${route.provider}/${route.model}`)) return;
    }
    throw new GatewayError('FORBIDDEN', `${param}: this caller may not use "${name}"`, { param });
  }
}

/**
 * The alias's defaults under the request's own values. `max_tokens` is filled only when neither it nor
 * `max_completion_tokens` is set, since the two say the same thing.
 */
function withDefaults(request: ChatCompletionRequest, alias: ModelAlias): ChatCompletionRequest {
  const { temperature, top_p, max_tokens } = alias.defaults;
  const limited = request.max_tokens != null || request.max_completion_tokens != null;
  return {
    ...request,
    ...(request.temperature == null && temperature !== undefined ? { temperature } : {}),
    ...(request.top_p == null && top_p !== undefined ? { top_p } : {}),
    ...(!limited && max_tokens !== undefined ? { max_tokens } : {}),
  };
}
