import type { CheckpointId, JobId, TaskId } from '../core/ids.js';
import type { TaskStateSnapshot } from '../state/state-handles.js';
import { checksumOf } from '../storage/checksum.js';
import { CorruptStateError } from '../storage/corrupt-state-error.js';

/** The format version of the task-local manifest this build writes; it reads only this one. */
export const TASK_LOCAL_STATE_FORMAT_VERSION = 1;

const FORMAT = 'nact-checkpoint/task-local-state';
const SHA256_HEX = /^[0-9a-f]{64}$/;
const encoder = new TextEncoder();

/** What one checkpoint's task-local copy holds: the task's state as handles to local files. */
export interface TaskLocalStateManifest {
  readonly jobId: JobId;
  readonly taskId: TaskId;
  readonly checkpointId: CheckpointId;
  readonly state: TaskStateSnapshot;
}

/** Encodes a manifest as versioned JSON whose payload carries a SHA-256 checksum. */
export function encodeTaskLocalStateManifest(manifest: TaskLocalStateManifest): Uint8Array {
  const payload = JSON.stringify(manifest);
  return encoder.encode(JSON.stringify({ format: FORMAT, formatVersion: TASK_LOCAL_STATE_FORMAT_VERSION, checksum: checksumOf(encoder.encode(payload)), payload }));
}

/**
 * Decodes and verifies a manifest read from `path`: format, version, checksum and the shape of every handle that a
 * restore relies on. Throws {@link CorruptStateError} naming `path` and the first problem.
 */
export function decodeTaskLocalStateManifest(bytes: Uint8Array, path: string): TaskLocalStateManifest {
  const corrupt = (problem: string): never => {
    throw new CorruptStateError(path, problem);
  };
  let envelope: unknown;
  try {
    envelope = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    return corrupt(`the task-local manifest is not valid JSON (truncated?): ${(error as Error).message}`);
  }
  const outer = record(envelope) ?? corrupt('the task-local manifest is not a JSON object');
  if (outer['format'] !== FORMAT) corrupt(`not a task-local manifest (format ${JSON.stringify(outer['format'])})`);
  if (outer['formatVersion'] !== TASK_LOCAL_STATE_FORMAT_VERSION) {
    corrupt(`unsupported task-local manifest format version ${JSON.stringify(outer['formatVersion'])}; this build reads version ${TASK_LOCAL_STATE_FORMAT_VERSION}`);
  }
  const payload = outer['payload'];
  if (typeof payload !== 'string') return corrupt('the task-local manifest has no payload');
  if (outer['checksum'] !== checksumOf(encoder.encode(payload))) corrupt('checksum mismatch in the task-local manifest');
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch (error) {
    return corrupt(`the task-local manifest payload is not valid JSON: ${(error as Error).message}`);
  }
  const manifest = record(parsed) ?? corrupt('the task-local manifest payload is not an object');
  if (typeof manifest['jobId'] !== 'string' || typeof manifest['taskId'] !== 'string') corrupt('the task-local manifest names no job or task');
  if (!Number.isSafeInteger(manifest['checkpointId']) || (manifest['checkpointId'] as number) < 1) corrupt('the task-local manifest has no valid checkpoint id');
  checkState(manifest['state'], corrupt);
  return manifest as unknown as TaskLocalStateManifest;
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** Checks the handles a restore reads: kinds, key-group ranges, offsets and every file's path, size and checksum. */
function checkState(value: unknown, corrupt: (problem: string) => never): void {
  const state = record(value) ?? corrupt('manifest field state is not an object');
  if (!Array.isArray(state['keyedState'])) corrupt('manifest field state.keyedState is not an array');
  const stream = (field: string, candidate: unknown, placeholderAllowed: boolean): void => {
    const handle = record(candidate) ?? corrupt(`manifest field ${field} is not a handle`);
    if (handle['kind'] === 'file') {
      if (typeof handle['path'] !== 'string' || !Number.isSafeInteger(handle['size']) || (handle['size'] as number) < 0 ||
        typeof handle['checksum'] !== 'string' || !SHA256_HEX.test(handle['checksum'])) corrupt(`manifest field ${field} is not a valid file handle`);
    } else if (handle['kind'] === 'bytes') {
      if (typeof handle['data'] !== 'string' || !Number.isSafeInteger(handle['size'])) corrupt(`manifest field ${field} is not a valid inline handle`);
    } else if (!(placeholderAllowed && handle['kind'] === 'placeholder')) corrupt(`manifest field ${field} has unknown kind ${JSON.stringify(handle['kind'])}`);
  };
  (state['keyedState'] as unknown[]).forEach((candidate, index) => {
    const field = `state.keyedState[${index}]`;
    const handle = record(candidate) ?? corrupt(`manifest field ${field} is not a handle`);
    const range = record(handle['keyGroupRange']);
    if (range === null || !Number.isSafeInteger(range['start']) || !Number.isSafeInteger(range['end'])) corrupt(`manifest field ${field}.keyGroupRange is not a key-group range`);
    if (handle['kind'] === 'key-groups') {
      if (!Array.isArray(handle['offsets']) || !handle['offsets'].every((offset) => Number.isSafeInteger(offset))) corrupt(`manifest field ${field}.offsets is not a list of offsets`);
      stream(`${field}.stream`, handle['stream'], false);
    } else if (handle['kind'] === 'incremental') {
      if (typeof handle['backendId'] !== 'string' || !Number.isSafeInteger(handle['checkpointId'])) corrupt(`manifest field ${field} has no backend id or checkpoint id`);
      stream(`${field}.metaState`, handle['metaState'], false);
      for (const list of ['sharedState', 'privateState']) {
        const references = handle[list];
        if (!Array.isArray(references)) return corrupt(`manifest field ${field}.${list} is not an array`);
        references.forEach((reference: unknown, position) => {
          const entry = record(reference) ?? corrupt(`manifest field ${field}.${list}[${position}] is not a file reference`);
          if (typeof entry['handleId'] !== 'string') corrupt(`manifest field ${field}.${list}[${position}].handleId is not a string`);
          stream(`${field}.${list}[${position}].handle`, entry['handle'], true);
        });
      }
    } else corrupt(`manifest field ${field}.kind is ${JSON.stringify(handle['kind'])}, not 'key-groups' or 'incremental'`);
  });
}
