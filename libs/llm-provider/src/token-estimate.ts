import { ChatMessage } from '@breakwater/contracts';

/** About four characters a token, as OpenAI's rule of thumb; what the mock reports and budgets estimate with. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function messageText(message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content;
  if (!Array.isArray(message.content)) return '';
  return message.content.map((part) => (typeof part.text === 'string' ? part.text : '')).join('');
}

/** Prompt tokens of a conversation: its text plus a few tokens of framing per message. */
export function estimatePromptTokens(messages: ChatMessage[]): number {
  return messages.reduce((sum, message) => sum + 4 + estimateTokens(messageText(message)), 0);
}
