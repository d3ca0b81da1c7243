// Request options whose OpenAI spelling the other providers take in another form.

/** The function an OpenAI `tool_choice` forces (`{type: 'function', function: {name}}`), if it forces one. */
export function forcedFunctionName(choice: unknown): string | undefined {
  const name = (choice as { function?: { name?: unknown } } | undefined)?.function?.name;
  return typeof name === 'string' ? name : undefined;
}

/** OpenAI's `stop`, one string or several, as the list the other providers take. */
export function stopSequences(stop: string | string[] | undefined): string[] | undefined {
  return typeof stop === 'string' ? [stop] : stop;
}
