type Fields = Readonly<Record<string, unknown>>;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The first field of a record that does not have the shape it must: where it is, what it must be, what it is. */
export interface ShapeProblem {
  readonly field: string;
  readonly expected: string;
  readonly actual: unknown;
}

/** Thrown by the shape checks below and caught by their callers, which word the problem for their readers. */
export class ShapeFailure extends Error {
  constructor(readonly problem: ShapeProblem) {
    super(`${problem.field} must be ${problem.expected}, found ${describeFoundValue(problem.actual)}`);
    this.name = 'ShapeFailure';
  }
}

/** A short description of a value for a message: `nothing`, `an array`, `an object`, or its JSON (cut at 40 characters). */
export function describeFoundValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

export const failShape = (field: string, expected: string, actual: unknown): never => {
  throw new ShapeFailure({ field, expected, actual });
};
export const expectObject = (field: string, actual: unknown): Fields =>
  typeof actual === 'object' && actual !== null && !Array.isArray(actual) ? (actual as Fields) : failShape(field, 'an object', actual);
export const expectArray = (field: string, actual: unknown): readonly unknown[] => (Array.isArray(actual) ? actual : failShape(field, 'an array', actual));
export const expectNonEmptyString = (field: string, actual: unknown): void => {
  if (typeof actual !== 'string' || actual.length === 0) failShape(field, 'a non-empty string', actual);
};
export const expectCount = (field: string, actual: unknown): void => {
  if (!Number.isSafeInteger(actual) || (actual as number) < 0) failShape(field, 'a non-negative integer', actual);
};
export const expectOneOf = (field: string, allowed: readonly unknown[], actual: unknown): void => {
  if (!allowed.includes(actual)) failShape(field, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, actual);
};
const expectInteger = (field: string, actual: unknown): void => {
  if (!Number.isSafeInteger(actual)) failShape(field, 'an integer', actual);
};

function keyGroupRange(field: string, actual: unknown): { start: number; end: number } {
  const range = expectObject(field, actual);
  expectInteger(`${field}.start`, range['start']);
  expectInteger(`${field}.end`, range['end']);
  return { start: range['start'] as number, end: range['end'] as number };
}

function fileOrBytes(field: string, handle: Fields): void {
  if (handle['kind'] === 'file') {
    expectNonEmptyString(`${field}.path`, handle['path']);
    expectCount(`${field}.size`, handle['size']);
    if (typeof handle['checksum'] !== 'string' || !SHA256_HEX.test(handle['checksum'])) failShape(`${field}.checksum`, 'a hex SHA-256', handle['checksum']);
  } else {
    expectNonEmptyString(`${field}.handleName`, handle['handleName']);
    if (typeof handle['data'] !== 'string') failShape(`${field}.data`, 'a base64 string', handle['data']);
    expectCount(`${field}.size`, handle['size']);
  }
}

function streamHandle(field: string, actual: unknown): void {
  const handle = expectObject(field, actual);
  expectOneOf(`${field}.kind`, ['file', 'bytes'], handle['kind']);
  fileOrBytes(field, handle);
}

function fileReferences(field: string, actual: unknown): void {
  expectArray(field, actual).forEach((entry, index) => {
    const reference = expectObject(`${field}[${index}]`, entry);
    expectNonEmptyString(`${field}[${index}].handleId`, reference['handleId']);
    const handleField = `${field}[${index}].handle`;
    const handle = expectObject(handleField, reference['handle']);
    expectOneOf(`${handleField}.kind`, ['file', 'bytes', 'placeholder'], handle['kind']);
    if (handle['kind'] === 'placeholder') expectCount(`${handleField}.size`, handle['size']);
    else fileOrBytes(handleField, handle);
  });
}

function keyedHandle(field: string, actual: unknown): void {
  const handle = expectObject(field, actual);
  expectOneOf(`${field}.kind`, ['key-groups', 'incremental'], handle['kind']);
  const range = keyGroupRange(`${field}.keyGroupRange`, handle['keyGroupRange']);
  if (handle['kind'] === 'key-groups') {
    const offsets = expectArray(`${field}.offsets`, handle['offsets']);
    const expected = Math.max(0, range.end - range.start + 1);
    if (offsets.length !== expected) failShape(`${field}.offsets`, `${expected} offsets (one per key group of [${range.start}, ${range.end}])`, offsets.length);
    offsets.forEach((offset, index) => expectCount(`${field}.offsets[${index}]`, offset));
    streamHandle(`${field}.stream`, handle['stream']);
  } else {
    expectNonEmptyString(`${field}.backendId`, handle['backendId']);
    if (!Number.isSafeInteger(handle['checkpointId']) || (handle['checkpointId'] as number) < 1) failShape(`${field}.checkpointId`, 'a positive integer', handle['checkpointId']);
    fileReferences(`${field}.sharedState`, handle['sharedState']);
    fileReferences(`${field}.privateState`, handle['privateState']);
    streamHandle(`${field}.metaState`, handle['metaState']);
  }
}

/**
 * Checks that `value` has the shape of a TaskStateSnapshot, down to every state handle and key-group range: the one
 * rule for a task's state, whether it arrives in an acknowledgement or is read back from checkpoint metadata.
 * @throws ShapeFailure naming the first wrong field (e.g. `<field>.keyedState[0].offsets`).
 */
export function checkTaskStateShape(value: unknown, field: string): void {
  const state = expectObject(field, value);
  const operatorState = state['operatorState'];
  if (operatorState !== null) {
    const handle = expectObject(`${field}.operatorState`, operatorState);
    expectOneOf(`${field}.operatorState.kind`, ['inline', 'file', 'bytes'], handle['kind']);
    if (handle['kind'] === 'inline') {
      if (!('value' in handle)) failShape(`${field}.operatorState.value`, 'a JSON value', undefined);
    } else fileOrBytes(`${field}.operatorState`, handle);
  }
  expectArray(`${field}.keyedState`, state['keyedState']).forEach((keyed, index) => keyedHandle(`${field}.keyedState[${index}]`, keyed));
}

/** The first problem {@link checkTaskStateShape} finds, or null when the state has the shape it must. */
export function findTaskStateShapeProblem(value: unknown, field: string): ShapeProblem | null {
  try {
    checkTaskStateShape(value, field);
    return null;
  } catch (error) {
    if (error instanceof ShapeFailure) return error.problem;
    throw error;
  }
}
