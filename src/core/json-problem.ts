const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function member(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
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

/** What is wrong with a value that is not an object (`is undefined`, `is NaN`, ...), or null when JSON keeps it. */
function describeScalar(value: unknown): string | null {
  switch (typeof value) {
    case 'number': {
      const problem = describeNumber(value);
      return problem === null ? null : `is ${problem}`;
    }
    case 'undefined':
      return 'is undefined';
    case 'function':
    case 'symbol':
    case 'bigint':
      return `is a ${typeof value}`;
    default:
      return null;
  }
}

/**
 * A problem found below the root. The keys leading to it are collected while the walk unwinds (so a walk that finds
 * nothing builds no path strings), deepest first; a cycle also says how deep the ancestor it leads back to lies.
 */
interface Found {
  readonly what: string;
  readonly keysDeepestFirst: (string | number)[];
  readonly cycleToDepth: number;
}

function found(what: string, cycleToDepth = -1): Found {
  return { what, keysDeepestFirst: [], cycleToDepth };
}

function visit(current: unknown, ancestors: object[]): Found | null {
  if (typeof current !== 'object' || current === null) {
    const problem = describeScalar(current);
    return problem === null ? null : found(problem);
  }
  const cycleAt = ancestors.indexOf(current);
  if (cycleAt >= 0) return found('is a cycle back to', cycleAt);
  ancestors.push(current);
  let problem: Found | null = null;
  if (Array.isArray(current)) {
    for (let index = 0; index < current.length; index += 1) {
      problem = visit(current[index], ancestors);
      if (problem !== null) {
        problem.keysDeepestFirst.push(index);
        break;
      }
    }
  } else {
    const prototype: unknown = Object.getPrototypeOf(current);
    if (prototype !== Object.prototype && prototype !== null) problem = found(`is ${kindOf(current)}`);
    else if (Object.getOwnPropertySymbols(current).length > 0) problem = found('has a symbol key');
    else {
      const record = current as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        problem = visit(record[key], ancestors);
        if (problem !== null) {
          problem.keysDeepestFirst.push(key);
          break;
        }
      }
    }
  }
  ancestors.pop();
  return problem;
}

/**
 * Says where and why `value` would not survive `JSON.stringify` / `JSON.parse` unchanged, e.g. `$.a.b[1] is a symbol`,
 * or returns null when it would. Plain objects (prototype Object or null), arrays, finite numbers, strings, booleans
 * and null pass; functions, symbols, bigints, undefined, NaN, Infinity, Maps, Sets, Dates, class instances, symbol
 * keys and cycles do not (JSON would turn them silently into null, {}, a string, or drop them).
 */
export function findJsonProblem(value: unknown, root = '$'): string | null {
  // Most operator states are a number or a string: no walk, no allocation.
  if (typeof value !== 'object' || value === null) {
    const problem = describeScalar(value);
    return problem === null ? null : `${root} ${problem}`;
  }
  const problem = visit(value, []);
  if (problem === null) return null;
  const keys = problem.keysDeepestFirst.reverse();
  let path = root;
  let cyclePath = root;
  keys.forEach((key, depth) => {
    path = member(path, key);
    if (depth < problem.cycleToDepth) cyclePath = path;
  });
  return problem.cycleToDepth >= 0 ? `${path} ${problem.what} ${cyclePath}` : `${path} ${problem.what}`;
}
