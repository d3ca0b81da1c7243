export const PROVIDER_IDS = [
  'openai',
  'anthropic',
  'gemini',
  'openrouter',
  'deepseek',
  'mock',
  'replay',
] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

/** The providers reached over the network, each configured by `<P>_API_KEY`, `<P>_BASE_URL`, `<P>_RPM`. */
export const REMOTE_PROVIDER_IDS = ['openai', 'anthropic', 'gemini', 'openrouter', 'deepseek'] as const;
export type RemoteProviderId = (typeof REMOTE_PROVIDER_IDS)[number];

export function isProviderId(value: string): value is ProviderId {
  return (PROVIDER_IDS as readonly string[]).includes(value);
}
