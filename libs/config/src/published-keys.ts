import { Caller } from '@breakwater/contracts';
import { ConfigError } from './config.error';

/**
 * SHA-256 of every caller key printed in this repository's examples: anyone can read them, so none may
 * open a production gateway. published-keys.spec.ts reads callers.example.yaml and README.md and fails
 * when a key shown there is missing here.
 */
export const PUBLISHED_KEY_SHA256: readonly string[] = [
  // dev-key: the development caller, shown throughout README.md
  '7e9f8fd111802be56c379d597842e29b2cebd35ff2133d431a49fa556a18704e',
  // admin-key-change-me: callers.example.yaml (stored as its hash, the key in the comment)
  '5c6bf80130163047f88d6ad204118db260965ed5aacb79a44a4285e492f2e85e',
  // pipeline-key-change-me: callers.example.yaml and README.md
  'e13de4faa46ce2cf4e4671ffa40b1dd9a1944f5adf31fc42ef07302b71074192',
  // judge-key-change-me: callers.example.yaml and README.md
  '77961b05ed516df58c122da0dfc51a883067c6bc2f1f12ee38ee5741d9f1cbf1',
];

/** Production refuses callers whose key is a published example; `source` starts the message. */
export function assertNoPublishedKeys(callers: readonly Caller[], source: string): void {
  const index = callers.findIndex((caller) => PUBLISHED_KEY_SHA256.includes(caller.keySha256));
  if (index < 0) return;
  throw new ConfigError(
    `${source}: callers[${index}] (${callers[index].id}) uses a key published in Breakwater's examples ` +
      '(README, callers.example.yaml), which anyone can read; replace it with a secret of your own ' +
      '(for example `openssl rand -hex 24`) before starting with NODE_ENV=production',
  );
}
