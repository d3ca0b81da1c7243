/**
 * A caller's `models` allow-list: patterns over alias names and `provider/model` names where `*` stands for
 * any run of characters (slashes included, so `openrouter/*` covers `openrouter/meta-llama/x`) and every
 * other character is itself. picomatch and minimatch are not dependencies of this project, and their path
 * semantics (`*` stops at `/`, braces, extglobs) are not what a model name needs, so this is the whole
 * matcher: no regular expression, so a pattern of many stars cannot make it backtrack.
 */
export class ModelAllowList {
  constructor(readonly patterns: readonly string[]) {}

  allows(name: string): boolean {
    return this.patterns.some((pattern) => globMatches(pattern, name));
  }
}

/**
 * The classic wildcard match: on a mismatch, go back to the last star and let it take one more character.
 * At most (pattern length × name length) steps.
 */
export function globMatches(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.length && pattern[p] === name[n]) {
      p++;
      n++;
    } else if (star !== -1) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
