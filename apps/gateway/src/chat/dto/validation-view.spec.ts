import { validationViewOf } from './validation-view';

const schema = { type: 'object', properties: { a: { type: 'string', pattern: '^a$' } } };

describe('validationViewOf', () => {
  it('hands class-validator the embedded schemas as {} and leaves the body itself untouched', () => {
    const body = {
      model: 'mock/echo',
      messages: [{ role: 'user', content: 'hi' }],
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema } },
      tools: [{ type: 'function', function: { name: 'f', parameters: schema } }, 'not a tool'],
    };
    const copy = structuredClone(body);
    expect(validationViewOf(body)).toEqual({
      ...body,
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } },
      tools: [{ type: 'function', function: { name: 'f', parameters: {} } }, 'not a tool'],
    });
    expect(body).toEqual(copy);
  });

  it('keeps what is not an object as sent, so the DTO still refuses it by name', () => {
    const body = {
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: 'text' } },
      tools: [{ type: 'function', function: { name: 'f', parameters: [1] } }],
    };
    expect(validationViewOf(body)).toEqual(body);
    expect(validationViewOf('text')).toBe('text');
  });
});
