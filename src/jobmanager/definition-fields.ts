import { InvalidOptionError } from '../core/invalid-option-error.js';

/** True for a JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** @throws InvalidOptionError naming the first field of `value` that is not in `known` (a typo would otherwise be ignored). */
export function onlyKnownKeys(value: Record<string, unknown>, known: readonly string[], field: string): void {
  const unknown = Object.keys(value).find((key) => !known.includes(key));
  if (unknown !== undefined) throw new InvalidOptionError(`${field}.${unknown}`, `is not a field of ${field}; known fields: ${known.join(', ')}`);
}
