import { GatewayError } from '@breakwater/contracts';
import { MAX_CUSTOM_KEY_LENGTH } from './cache-directives';
import {
  CACHE_KEY_PREFIX,
  FULL_KEY_PATTERN,
  NAMESPACE_PATTERN,
  customCacheKeyOf,
  namespacePrefixOf,
} from './cache-key';

/** What `DELETE /v1/cache` names: `?key=` (a full key, or a caller's own key within `?namespace=`), `?namespace=`, or nothing for all. */
export interface CacheSelector {
  namespace?: string;
  key?: string;
}

export type CacheSelection =
  | { kind: 'key'; key: string }
  | { kind: 'namespace'; namespace: string; prefix: string }
  | { kind: 'all'; prefix: string };

/**
 * Resolves a selector to what is deleted; a bad one is a 400 naming the query parameter. Namespaces are
 * checked against the callers file's own pattern, which also keeps glob characters out of SCAN MATCH.
 */
export function selectionOf(selector: CacheSelector): CacheSelection {
  const { namespace, key } = selector;
  if (namespace !== undefined && !NAMESPACE_PATTERN.test(namespace)) {
    throw GatewayError.invalid('namespace', 'namespace must be 1-64 of A-Z a-z 0-9 _ . -');
  }
  if (key !== undefined) {
    const full = FULL_KEY_PATTERN.exec(key);
    if (full) {
      if (namespace !== undefined && namespace !== full[1]) {
        throw GatewayError.invalid('namespace', `key ${key} is not in namespace ${namespace}`);
      }
      return { kind: 'key', key };
    }
    if (namespace === undefined) {
      throw GatewayError.invalid(
        'key',
        `key must be a full ${CACHE_KEY_PREFIX}<namespace>:<sha256> key, or a caller's x-cache-key together with namespace`,
      );
    }
    if (key.length === 0 || key.length > MAX_CUSTOM_KEY_LENGTH) {
      throw GatewayError.invalid('key', `key must be 1 to ${MAX_CUSTOM_KEY_LENGTH} characters`);
    }
    return { kind: 'key', key: customCacheKeyOf(namespace, key) };
  }
  if (namespace !== undefined) return { kind: 'namespace', namespace, prefix: namespacePrefixOf(namespace) };
  return { kind: 'all', prefix: CACHE_KEY_PREFIX };
}
