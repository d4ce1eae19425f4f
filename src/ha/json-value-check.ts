import type { JsonValue } from '../core/json.js';

/**
 * Checks that `value` survives `JSON.stringify` / `JSON.parse` unchanged: null, booleans, finite numbers, strings,
 * arrays and plain objects of those.
 * @throws TypeError naming the first offending path, e.g. `graph.vertices[2].parallelism is NaN`.
 */
export function assertJsonValue(value: unknown, path: string): asserts value is JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${path} is ${String(value)}, which JSON cannot hold; use a finite number`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => assertJsonValue(item, `${path}[${index}]`));
    return;
  }
  if (typeof value === 'object') {
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype !== Object.prototype && prototype !== null) {
      throw new TypeError(`${path} is a ${(value as object).constructor?.name ?? 'non-plain'} object; only plain objects, arrays and primitives are JSON`);
    }
    for (const [key, item] of Object.entries(value)) assertJsonValue(item, `${path}.${key}`);
    return;
  }
  throw new TypeError(`${path} is ${value === undefined ? 'undefined' : `a ${typeof value}`}, which JSON cannot hold`);
}
