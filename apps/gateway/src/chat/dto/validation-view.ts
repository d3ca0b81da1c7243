/**
 * What class-validator needs to see of a chat body: the body with its embedded JSON Schemas
 * (`response_format.json_schema.schema`, `tools[].function.parameters`) replaced by `{}` when they are
 * objects. The DTO holds them only to `@IsObject()`; their content is measured and compiled by the
 * provider step under its own budget (MAX_SCHEMA_BYTES and the schema budget). class-transformer copies
 * every value it is given, at several microseconds each, so a 60 KB schema alone cost ~0.6 s there.
 */
export function validationViewOf(body: unknown): unknown {
  if (!isRecord(body)) return body;
  const view: Record<string, unknown> = { ...body };
  const format = body.response_format;
  if (isRecord(format) && isRecord(format.json_schema) && isRecord(format.json_schema.schema)) {
    view.response_format = { ...format, json_schema: { ...format.json_schema, schema: {} } };
  }
  if (Array.isArray(body.tools)) {
    view.tools = body.tools.map((tool: unknown) =>
      isRecord(tool) && isRecord(tool.function) && isRecord(tool.function.parameters)
        ? { ...tool, function: { ...tool.function, parameters: {} } }
        : tool,
    );
  }
  return view;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
