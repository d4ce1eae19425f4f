const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function member(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function describeNumber(value: number): string | null {
  if (Number.isFinite(value)) return null;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

function kindOf(value: object): string {
  const prototype: unknown = Object.getPrototypeOf(value);
  const name = (prototype as { readonly constructor?: { readonly name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name.length > 0 ? `a ${name}` : 'an object of a class';
}

/**
 * Says where and why `value` would not survive `JSON.stringify` / `JSON.parse` unchanged, e.g. `$.a.b[1] is a symbol`,
 * or returns null when it would. Plain objects (prototype Object or null), arrays, finite numbers, strings, booleans
 * and null pass; functions, symbols, bigints, undefined, NaN, Infinity, Maps, Sets, Dates, class instances, symbol
 * keys and cycles do not (JSON would turn them silently into null, {}, a string, or drop them).
 */
export function findJsonProblem(value: unknown, root = '$'): string | null {
  const ancestors: object[] = [];
  const ancestorPaths: string[] = [];
  const visit = (current: unknown, path: string): string | null => {
    switch (typeof current) {
      case 'string':
      case 'boolean':
        return null;
      case 'number': {
        const problem = describeNumber(current);
        return problem === null ? null : `${path} is ${problem}`;
      }
      case 'undefined':
        return `${path} is undefined`;
      case 'function':
      case 'symbol':
      case 'bigint':
        return `${path} is a ${typeof current}`;
    }
    if (current === null) return null;
    const object = current as object;
    const cycleAt = ancestors.indexOf(object);
    if (cycleAt >= 0) return `${path} is a cycle back to ${ancestorPaths[cycleAt] as string}`;
    ancestors.push(object);
    ancestorPaths.push(path);
    let problem: string | null = null;
    if (Array.isArray(object)) {
      for (let index = 0; index < object.length && problem === null; index += 1) problem = visit(object[index], `${path}[${index}]`);
    } else {
      const prototype: unknown = Object.getPrototypeOf(object);
      if (prototype !== Object.prototype && prototype !== null) problem = `${path} is ${kindOf(object)}`;
      else if (Object.getOwnPropertySymbols(object).length > 0) problem = `${path} has a symbol key`;
      else {
        const record = object as Record<string, unknown>;
        for (const key of Object.keys(record)) {
          problem = visit(record[key], member(path, key));
          if (problem !== null) break;
        }
      }
    }
    ancestors.pop();
    ancestorPaths.pop();
    return problem;
  };
  return visit(value, root);
}
