import { responseValidationViewOf } from './response-validation-view';

describe('responseValidationViewOf', () => {
  it('shows schemas as {} and items as placeholders, leaving the body itself untouched', () => {
    const body = {
      model: 'm',
      input: [{ role: 'user', content: 'a' }, { type: 'function_call_output' }],
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object', properties: { a: {} } } }, 'odd'],
      text: { format: { type: 'json_schema', name: 'w', schema: { type: 'object' } }, verbosity: 'low' },
    };
    const copy = structuredClone(body);
    expect(responseValidationViewOf(body)).toEqual({
      model: 'm',
      input: [0, 0],
      tools: [{ type: 'function', name: 'f', parameters: {} }, 'odd'],
      text: { format: { type: 'json_schema', name: 'w', schema: {} }, verbosity: 'low' },
    });
    expect(body).toEqual(copy);
  });

  it('leaves what is not an object as sent, for the DTO to refuse', () => {
    const body = { input: 'text', tools: [{ parameters: 'x' }], text: { format: { schema: [] } } };
    expect(responseValidationViewOf(body)).toEqual(body);
  });
});
