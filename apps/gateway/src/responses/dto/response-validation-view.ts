/**
 * What class-validator needs to see of a Responses body: its embedded JSON Schemas (`tools[].parameters`,
 * `text.format.schema`) as `{}` when they are objects, and its input items as as many placeholders. The
 * DTO only counts the items and `@IsObject()`s the schemas; the items are checked as they are mapped
 * (chatRequestOf) and the schemas by the provider step under its own budget. The validation pipe walks and
 * copies every value it is given (several microseconds each), which for a 60 KB schema or thousands of
 * items cost tens of milliseconds.
 */
export function responseValidationViewOf(body: Record<string, unknown>): Record<string, unknown> {
  const view: Record<string, unknown> = { ...body };
  if (Array.isArray(body.input)) view.input = body.input.map(() => 0);
  if (Array.isArray(body.tools)) {
    view.tools = body.tools.map((tool: unknown) =>
      isRecord(tool) && isRecord(tool.parameters) ? { ...tool, parameters: {} } : tool,
    );
  }
  const text = body.text;
  if (isRecord(text) && isRecord(text.format) && isRecord(text.format.schema)) {
    view.text = { ...text, format: { ...text.format, schema: {} } };
  }
  return view;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
