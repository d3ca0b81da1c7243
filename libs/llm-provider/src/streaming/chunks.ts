import {
  ChatCompletion,
  ChatCompletionChoice,
  ChatCompletionChunk,
  ChatCompletionChunkChoice,
  ChatCompletionUsage,
  ChatToolCall,
  FinishReason,
} from '@breakwater/contracts';

/** The longest piece of text one replayed chunk carries: a few words, as a provider's stream has them. */
const REPLAY_PIECE_CHARS = 48;

interface ChoiceDraft {
  content: string[];
  refusal: string[];
  toolCalls: Map<number, { id: string; name: string; arguments: string[] }>;
  finishReason: FinishReason | null;
}

/**
 * Builds the whole completion out of a stream's chunks, as OpenAI's SDKs do: content and refusal pieces
 * joined per choice, tool calls joined per index (the first piece names them, later ones add arguments),
 * the last finish reason and the usage chunk kept. Only what the chunks carried: a stream cut short
 * assembles to what arrived, with `finished` false.
 */
export class ChunkAssembler {
  private readonly choices = new Map<number, ChoiceDraft>();
  private first?: ChatCompletionChunk;
  private reported?: ChatCompletionUsage;
  private characters = 0;

  add(chunk: ChatCompletionChunk): void {
    this.first ??= chunk;
    if (chunk.usage) this.reported = chunk.usage;
    for (const choice of chunk.choices) this.addChoice(choice);
  }

  /** Every choice that started has a finish reason (and at least one started). */
  get finished(): boolean {
    if (this.choices.size === 0) return false;
    for (const draft of this.choices.values()) if (draft.finishReason === null) return false;
    return true;
  }

  /** The usage the provider reported, if it did. */
  get usage(): ChatCompletionUsage | undefined {
    return this.reported;
  }

  /** Characters of content, refusal and tool arguments received so far: what an estimate counts. */
  get receivedCharacters(): number {
    return this.characters;
  }

  /** All text received so far, for estimating what a stream that did not report usage produced. */
  text(): string {
    const parts: string[] = [];
    for (const draft of this.choices.values()) {
      parts.push(...draft.content, ...draft.refusal);
      for (const call of draft.toolCalls.values()) parts.push(call.name, ...call.arguments);
    }
    return parts.join('');
  }

  /** The completion so far; `usage` is the reported one or, without it, the one given. */
  completion(usage: ChatCompletionUsage): ChatCompletion {
    const choices = [...this.choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, draft]): ChatCompletionChoice => {
        const toolCalls = [...draft.toolCalls.entries()]
          .sort(([a], [b]) => a - b)
          .map(([, call]): ChatToolCall => ({
            id: call.id,
            type: 'function',
            function: { name: call.name, arguments: call.arguments.join('') },
          }));
        const content = draft.content.join('');
        return {
          index,
          message: {
            role: 'assistant',
            content: content === '' && toolCalls.length > 0 ? null : content,
            ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
            refusal: draft.refusal.length > 0 ? draft.refusal.join('') : null,
          },
          finish_reason: draft.finishReason ?? 'stop',
          logprobs: null,
        };
      });
    return {
      id: this.first?.id ?? '',
      object: 'chat.completion',
      created: this.first?.created ?? Math.floor(Date.now() / 1000),
      model: this.first?.model ?? '',
      choices,
      usage: this.reported ?? usage,
      system_fingerprint: this.first?.system_fingerprint ?? null,
    };
  }

  private addChoice(choice: ChatCompletionChunkChoice): void {
    let draft = this.choices.get(choice.index);
    if (!draft) {
      draft = { content: [], refusal: [], toolCalls: new Map(), finishReason: null };
      this.choices.set(choice.index, draft);
    }
    const { delta } = choice;
    if (typeof delta.content === 'string' && delta.content !== '') this.push(draft.content, delta.content);
    if (typeof delta.refusal === 'string' && delta.refusal !== '') this.push(draft.refusal, delta.refusal);
    for (const piece of delta.tool_calls ?? []) {
      let call = draft.toolCalls.get(piece.index);
      if (!call) {
        call = { id: '', name: '', arguments: [] };
        draft.toolCalls.set(piece.index, call);
      }
      if (piece.id) call.id = piece.id;
      if (piece.function?.name) call.name += piece.function.name;
      if (piece.function?.arguments) this.push(call.arguments, piece.function.arguments);
    }
    if (choice.finish_reason) draft.finishReason = choice.finish_reason;
  }

  private push(into: string[], piece: string): void {
    into.push(piece);
    this.characters += piece.length;
  }
}

/**
 * A whole completion as the chunks a provider would have streamed: per choice a role chunk, the content in
 * pieces of a few words, each tool call whole, a chunk with the finish reason; then, when `usage` is
 * asked for, a last chunk with no choices and the usage. Used to replay a cached answer and by providers
 * that only answer whole.
 */
export function completionChunks(
  completion: ChatCompletion,
  options: { usage: boolean },
): ChatCompletionChunk[] {
  const chunk = (choices: ChatCompletionChunkChoice[]): ChatCompletionChunk => ({
    id: completion.id,
    object: 'chat.completion.chunk',
    created: completion.created,
    model: completion.model,
    choices,
    system_fingerprint: completion.system_fingerprint ?? null,
  });
  const chunks: ChatCompletionChunk[] = [];
  for (const choice of completion.choices) {
    const { index, message } = choice;
    const delta = (part: ChatCompletionChunkChoice['delta']): ChatCompletionChunk =>
      chunk([{ index, delta: part, finish_reason: null, logprobs: null }]);
    chunks.push(delta({ role: 'assistant', content: '' }));
    for (const piece of pieces(message.content ?? '')) chunks.push(delta({ content: piece }));
    if (message.refusal) chunks.push(delta({ refusal: message.refusal }));
    (message.tool_calls ?? []).forEach((call, position) =>
      chunks.push(
        delta({
          tool_calls: [
            {
              index: position,
              id: call.id,
              type: 'function',
              function: { name: call.function.name, arguments: call.function.arguments },
            },
          ],
        }),
      ),
    );
    chunks.push(chunk([{ index, delta: {}, finish_reason: choice.finish_reason, logprobs: null }]));
  }
  if (options.usage) chunks.push({ ...chunk([]), usage: completion.usage });
  return chunks;
}

/** Text cut at word ends into pieces of at most REPLAY_PIECE_CHARS (a longer word is cut inside). */
function pieces(text: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of text.match(/\S*\s*/g) ?? []) {
    if (word === '') continue;
    if (current.length + word.length > REPLAY_PIECE_CHARS && current !== '') {
      out.push(current);
      current = '';
    }
    current += word;
    while (current.length > REPLAY_PIECE_CHARS) {
      out.push(current.slice(0, REPLAY_PIECE_CHARS));
      current = current.slice(REPLAY_PIECE_CHARS);
    }
  }
  if (current !== '') out.push(current);
  return out;
}
