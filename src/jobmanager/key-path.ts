import { InvalidOptionError } from '../core/invalid-option-error.js';
import type { JsonValue } from '../core/json.js';

/**
 * A path into a JSON record that picks its key, as a job definition writes it: `$` is the record itself, `.name` a
 * field, `[2]` an array element, `["any name"]` a field whose name is not an identifier. `$.order.customer`, `$[0]`.
 */
export interface KeyPath {
  /** As written in the job definition. */
  readonly text: string;
  /** Field names and array indexes, from the record down. */
  readonly steps: readonly (string | number)[];
}

const STEP = /^(?:\.([A-Za-z_$][A-Za-z0-9_$]*)|\[(0|[1-9][0-9]{0,8})\]|\[("(?:[^"\\]|\\.)*")\])/;

/**
 * Reads a key path once, at the edge.
 * @throws InvalidOptionError naming `field` and where the path stops making sense, e.g.
 *   `... must be a key path like $.customer or $[0]; '-x' at position 2 is not .name, [index] or ["name"]`.
 */
export function parseKeyPath(text: unknown, field: string): KeyPath {
  if (typeof text !== 'string' || !text.startsWith('$')) {
    throw new InvalidOptionError(field, `must be a key path starting with $ (the record), like $.customer or $[0], got ${JSON.stringify(text)}`);
  }
  const steps: (string | number)[] = [];
  let rest = text.slice(1);
  while (rest.length > 0) {
    const match = STEP.exec(rest);
    const position = text.length - rest.length;
    if (match === null) {
      throw new InvalidOptionError(field, `must be a key path like $.customer or $[0]; '${rest}' at position ${position} of ${JSON.stringify(text)} is not .name, [index] or ["name"]`);
    }
    const [whole, name, index, quoted] = match;
    if (name !== undefined) steps.push(name);
    else if (index !== undefined) steps.push(Number(index));
    else steps.push(JSON.parse(quoted as string) as string);
    rest = rest.slice(whole.length);
  }
  return { text, steps };
}

/**
 * The value at `path` in `record`, or undefined when the record has none there (a missing field, an index past the end,
 * or a step into something that is not an object or array).
 */
export function valueAtKeyPath(record: unknown, path: KeyPath): JsonValue | undefined {
  let current: unknown = record;
  for (const step of path.steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(current) || step >= current.length) return undefined;
      current = current[step];
    } else {
      if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.hasOwn(current, step)) return undefined;
      current = (current as Record<string, unknown>)[step];
    }
  }
  return current as JsonValue | undefined;
}

/** The routing key of a value picked by a key path: a string as it is, anything else as its JSON text. */
export function keyOfValue(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
