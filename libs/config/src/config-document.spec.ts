import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, ValidateNested } from 'class-validator';
import { ConfigError } from './config.error';
import { closestName, validatedDocument } from './config-document';

class RouteEntry {
  @IsString() target!: string;
  @IsOptional() @IsInt() max_tokens?: number;
}

/** A file shape of its own, to show the walk needs nothing per file. */
class RoutesDocument {
  @ValidateNested({ each: true }) @Type(() => RouteEntry) routes!: RouteEntry[];
}

function problems(document: Record<string, unknown>): string[] {
  try {
    validatedDocument(RoutesDocument, document, 'ROUTES_FILE /r.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message.split('\n');
  }
  return [];
}

describe('validatedDocument', () => {
  it('accepts a valid document and returns the DTO instances', () => {
    const routes = validatedDocument(RoutesDocument, { routes: [{ target: 'a', max_tokens: 5 }] }, 'x');
    expect(routes.routes[0]).toBeInstanceOf(RouteEntry);
  });

  it('lists every problem of any DTO, one a line, each with the source and the path', () => {
    expect(
      problems({
        routes: [
          { target: 'a', max_token: 5 },
          { target: 3, max_tokens: '7' },
        ],
        extra: true,
      }),
    ).toEqual([
      'ROUTES_FILE /r.yaml: extra is not a known field (known: routes)',
      'ROUTES_FILE /r.yaml: routes[0].max_token is not a known field; did you mean `max_tokens`? (known: target, max_tokens)',
      'ROUTES_FILE /r.yaml: routes[1].target must be a string',
      'ROUTES_FILE /r.yaml: routes[1].max_tokens must be a number, not the string "7"',
    ]);
  });

  it('does not echo a string that is not a number given for a number', () => {
    expect(problems({ routes: [{ target: 'a', max_tokens: 'sk-secret-pasted-here' }] })).toEqual([
      'ROUTES_FILE /r.yaml: routes[0].max_tokens must be a number, not the string',
    ]);
  });
});

describe('closestName', () => {
  it.each([
    ['enable', 'enabled'],
    ['perMinute', 'per_minute'],
    ['webhook-secret', 'webhook_secret'],
    ['opneai', 'openai'],
    ['colour', undefined],
    ['x', undefined],
  ])('suggests for %p: %p', (name, expected) => {
    expect(closestName(name, ['enabled', 'per_minute', 'webhook_secret', 'openai', 'ttl_seconds'])).toBe(
      expected,
    );
  });
});
