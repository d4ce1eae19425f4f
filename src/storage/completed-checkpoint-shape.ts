import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import { CheckpointRetention, CheckpointType } from '../checkpoint/checkpoint-properties.js';
import type { JobId } from '../core/ids.js';
import { CorruptStateError } from './corrupt-state-error.js';
import { storageLayout } from './storage-layout.js';

type Fields = Readonly<Record<string, unknown>>;

const CHECKPOINT_TYPES: readonly unknown[] = Object.values(CheckpointType);
const RETENTIONS: readonly unknown[] = Object.values(CheckpointRetention);
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Checks that a parsed metadata record has the shape of a {@link CompletedCheckpoint}, down to every state handle
 * and key-group range, and returns it typed. Unknown extra fields are tolerated. Throws {@link CorruptStateError}
 * naming `path` and the first wrong field (e.g. `taskStates["map-1"].keyedState[0].offsets`).
 */
export function checkCompletedCheckpointShape(value: unknown, path: string): CompletedCheckpoint {
  const fail = (field: string, expected: string, actual: unknown): never => {
    throw new CorruptStateError(path, `metadata field ${field} must be ${expected}, found ${describe(actual)}`);
  };
  const object = (field: string, actual: unknown): Fields =>
    typeof actual === 'object' && actual !== null && !Array.isArray(actual) ? (actual as Fields) : fail(field, 'an object', actual);
  const array = (field: string, actual: unknown): readonly unknown[] => (Array.isArray(actual) ? actual : fail(field, 'an array', actual));
  const string = (field: string, actual: unknown): void => {
    if (typeof actual !== 'string' || actual.length === 0) fail(field, 'a non-empty string', actual);
  };
  const count = (field: string, actual: unknown): void => {
    if (!Number.isSafeInteger(actual) || (actual as number) < 0) fail(field, 'a non-negative integer', actual);
  };
  const integer = (field: string, actual: unknown): void => {
    if (!Number.isSafeInteger(actual)) fail(field, 'an integer', actual);
  };
  const oneOf = (field: string, allowed: readonly unknown[], actual: unknown): void => {
    if (!allowed.includes(actual)) fail(field, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, actual);
  };

  const keyGroupRange = (field: string, actual: unknown): { start: number; end: number } => {
    const range = object(field, actual);
    integer(`${field}.start`, range['start']);
    integer(`${field}.end`, range['end']);
    return { start: range['start'] as number, end: range['end'] as number };
  };
  const fileOrBytes = (field: string, handle: Fields): void => {
    if (handle['kind'] === 'file') {
      string(`${field}.path`, handle['path']);
      count(`${field}.size`, handle['size']);
      if (typeof handle['checksum'] !== 'string' || !SHA256_HEX.test(handle['checksum'])) fail(`${field}.checksum`, 'a hex SHA-256', handle['checksum']);
    } else {
      string(`${field}.handleName`, handle['handleName']);
      if (typeof handle['data'] !== 'string') fail(`${field}.data`, 'a base64 string', handle['data']);
      count(`${field}.size`, handle['size']);
    }
  };
  const streamHandle = (field: string, actual: unknown): void => {
    const handle = object(field, actual);
    oneOf(`${field}.kind`, ['file', 'bytes'], handle['kind']);
    fileOrBytes(field, handle);
  };
  const fileReferences = (field: string, actual: unknown): void => {
    array(field, actual).forEach((entry, index) => {
      const reference = object(`${field}[${index}]`, entry);
      string(`${field}[${index}].handleId`, reference['handleId']);
      const handleField = `${field}[${index}].handle`;
      const handle = object(handleField, reference['handle']);
      oneOf(`${handleField}.kind`, ['file', 'bytes', 'placeholder'], handle['kind']);
      if (handle['kind'] === 'placeholder') count(`${handleField}.size`, handle['size']);
      else fileOrBytes(handleField, handle);
    });
  };
  const keyedHandle = (field: string, actual: unknown): void => {
    const handle = object(field, actual);
    oneOf(`${field}.kind`, ['key-groups', 'incremental'], handle['kind']);
    const range = keyGroupRange(`${field}.keyGroupRange`, handle['keyGroupRange']);
    if (handle['kind'] === 'key-groups') {
      const offsets = array(`${field}.offsets`, handle['offsets']);
      const expected = Math.max(0, range.end - range.start + 1);
      if (offsets.length !== expected) fail(`${field}.offsets`, `${expected} offsets (one per key group of [${range.start}, ${range.end}])`, offsets.length);
      offsets.forEach((offset, index) => count(`${field}.offsets[${index}]`, offset));
      streamHandle(`${field}.stream`, handle['stream']);
    } else {
      string(`${field}.backendId`, handle['backendId']);
      if (!Number.isSafeInteger(handle['checkpointId']) || (handle['checkpointId'] as number) < 1) fail(`${field}.checkpointId`, 'a positive integer', handle['checkpointId']);
      fileReferences(`${field}.sharedState`, handle['sharedState']);
      fileReferences(`${field}.privateState`, handle['privateState']);
      streamHandle(`${field}.metaState`, handle['metaState']);
    }
  };

  const record = object('(root)', value);
  string('jobId', record['jobId']);
  if (!Number.isSafeInteger(record['checkpointId']) || (record['checkpointId'] as number) < 1) fail('checkpointId', 'a positive integer', record['checkpointId']);
  for (const field of ['triggerTimestamp', 'completionTimestamp']) {
    if (typeof record[field] !== 'number' || !Number.isFinite(record[field])) fail(field, 'a finite number', record[field]);
  }
  const properties = object('properties', record['properties']);
  oneOf('properties.type', CHECKPOINT_TYPES, properties['type']);
  oneOf('properties.retention', RETENTIONS, properties['retention']);
  if (typeof properties['forced'] !== 'boolean') fail('properties.forced', 'a boolean', properties['forced']);
  const taskStates = object('taskStates', record['taskStates']);
  for (const [taskId, snapshot] of Object.entries(taskStates)) {
    const field = `taskStates[${JSON.stringify(taskId)}]`;
    const state = object(field, snapshot);
    const operatorState = state['operatorState'];
    if (operatorState !== null) {
      const handle = object(`${field}.operatorState`, operatorState);
      oneOf(`${field}.operatorState.kind`, ['inline', 'file', 'bytes'], handle['kind']);
      if (handle['kind'] === 'inline') {
        if (!('value' in handle)) fail(`${field}.operatorState.value`, 'a JSON value', undefined);
      } else fileOrBytes(`${field}.operatorState`, handle);
    }
    array(`${field}.keyedState`, state['keyedState']).forEach((keyed, index) => keyedHandle(`${field}.keyedState[${index}]`, keyed));
  }
  count('stateSize', record['stateSize']);
  if (record['externalPointer'] !== null && typeof record['externalPointer'] !== 'string') fail('externalPointer', 'a string or null', record['externalPointer']);
  return value as CompletedCheckpoint;
}

/**
 * Checks a record read from the metadata file at `pointer` before it is trusted for a restore or an audit: its shape,
 * that it belongs to `jobId`, and that it is the checkpoint its `chk-<id>` directory names. Throws
 * {@link CorruptStateError} naming `pointer` otherwise.
 */
export function checkStoredCheckpoint(record: unknown, pointer: string, jobId: JobId): CompletedCheckpoint {
  const checkpoint = checkCompletedCheckpointShape(record, pointer);
  if (checkpoint.jobId !== jobId) throw new CorruptStateError(pointer, `the record belongs to job '${checkpoint.jobId}', not to job '${jobId}'`);
  const idInPath = storageLayout.checkpointIdOf(pointer);
  if (idInPath !== checkpoint.checkpointId) throw new CorruptStateError(pointer, `the record is checkpoint ${checkpoint.checkpointId}, not checkpoint ${String(idInPath)} its path names`);
  return checkpoint;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
