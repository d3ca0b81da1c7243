import { ChatContentPart, ChatMessage } from '@breakwater/contracts';
import { messageText } from '../../token-estimate';

/** One turn of a provider that alternates its two speakers: who speaks and what, in the provider's blocks. */
export interface Turn<Role extends string, Block> {
  role: Role;
  blocks: Block[];
}

/** How one provider names its two speakers and spells each kind of OpenAI message as its own blocks. */
export interface TurnMapping<Role extends string, Block> {
  userRole: Role;
  assistantRole: Role;
  user(message: ChatMessage): Block[];
  assistant(message: ChatMessage): Block[];
  /** A tool result; it travels in a user turn. */
  tool(message: ChatMessage): Block[];
}

/**
 * OpenAI's flat message list as a system text and alternating turns (Anthropic, Gemini): system and
 * developer messages join into the system text, tool results go in user turns, and consecutive turns of
 * one role merge, since these providers refuse two turns of one speaker in a row. The mapping's callbacks
 * are called in message order, so one may remember what an earlier message said (Gemini's call names).
 */
export function toTurns<Role extends string, Block>(
  messages: ChatMessage[],
  mapping: TurnMapping<Role, Block>,
): { system?: string; turns: Turn<Role, Block>[] } {
  const system: string[] = [];
  const turns: Turn<Role, Block>[] = [];
  const push = (role: Role, blocks: Block[]) => {
    if (blocks.length === 0) return;
    const last = turns[turns.length - 1];
    if (last?.role === role) last.blocks.push(...blocks);
    else turns.push({ role, blocks });
  };
  for (const message of messages) {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(messageText(message));
        break;
      case 'assistant':
        push(mapping.assistantRole, mapping.assistant(message));
        break;
      case 'tool':
        push(mapping.userRole, mapping.tool(message));
        break;
      default:
        push(mapping.userRole, mapping.user(message));
    }
  }
  const joined = system.filter(Boolean).join('\n\n');
  return { ...(joined ? { system: joined } : {}), turns };
}

/** How one provider spells a text block and an image block (nothing for an image URL it cannot take). */
export interface ContentSpelling<Block> {
  text(text: string): Block;
  image(url: string): Block | undefined;
}

/** A message's content as the provider's text and image blocks, in order; empty text and other parts dropped. */
export function contentBlocks<Block>(
  content: ChatMessage['content'],
  spelling: ContentSpelling<Block>,
): Block[] {
  if (typeof content === 'string') return content ? [spelling.text(content)] : [];
  return (content ?? []).flatMap((part): Block[] => {
    if (typeof part.text === 'string') return part.text ? [spelling.text(part.text)] : [];
    const url = imageUrl(part);
    const image = url === undefined ? undefined : spelling.image(url);
    return image === undefined ? [] : [image];
  });
}

function imageUrl(part: ChatContentPart): string | undefined {
  if (part.type !== 'image_url') return undefined;
  const url = (part.image_url as { url?: unknown } | undefined)?.url;
  return typeof url === 'string' ? url : undefined;
}

/** JSON text that should hold an object (tool arguments, a tool's answer); anything else becomes `{}`. */
export function jsonObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text || '{}');
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
