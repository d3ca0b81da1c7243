import { ValidationError } from 'class-validator';

export interface FieldProblem {
  /** Dotted path with array indexes: `messages[0].role`. */
  path: string;
  message: string;
}

/**
 * Flattens class-validator's nested errors into one problem per field, with the full path, so every
 * message names the field a person has to fix.
 */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const error of errors) {
    const path = joinPath(parent, error.property);
    for (const text of Object.values(error.constraints ?? {})) {
      problems.push({ path, message: text.replace(error.property, path) });
    }
    if (error.children?.length) problems.push(...flattenValidationErrors(error.children, path));
  }
  return problems;
}

function joinPath(parent: string, property: string): string {
  if (/^\d+$/.test(property)) return `${parent}[${property}]`;
  return parent ? `${parent}.${property}` : property;
}
