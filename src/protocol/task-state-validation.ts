import { asCheckpointId, asJobId } from '../core/ids.js';
import { findJsonProblem } from '../core/json-problem.js';
import { storageLayout } from '../storage/storage-layout.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

const isCount = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;

/** Where the files of one acknowledged state may lie. */
interface Areas {
  /** `<job>/chk-<id>/`: files of this checkpoint alone. */
  readonly privateArea: string;
  /** `<job>/shared/`: immutable files incremental checkpoints share. */
  readonly sharedArea: string;
  /** `<job>/taskowned/`: files the task owns. */
  readonly taskOwnedArea: string;
}

type Position = 'private' | 'shared';

function describeStream(handle: unknown, field: string, position: Position, areas: Areas, placeholderAllowed: boolean): string | null {
  if (!isRecord(handle)) return `${field} must be a state handle object`;
  switch (handle.kind) {
    case 'file': {
      if (typeof handle.path !== 'string' || !isCount(handle.size) || typeof handle.checksum !== 'string') {
        return `${field} must be a file handle { kind: 'file', path: string, size: integer >= 0, checksum: string }`;
      }
      const area = position === 'private' ? areas.privateArea : areas.sharedArea;
      if (!handle.path.startsWith(area) && !handle.path.startsWith(areas.taskOwnedArea)) {
        return `${field}.path ${JSON.stringify(handle.path)} lies outside ${area} (and ${areas.taskOwnedArea}), where a ${position} file of this checkpoint must be`;
      }
      return null;
    }
    case 'bytes':
      return typeof handle.handleName === 'string' && typeof handle.data === 'string' && isCount(handle.size)
        ? null
        : `${field} must be a bytes handle { kind: 'bytes', handleName: string, data: base64 string, size: integer >= 0 }`;
    case 'placeholder':
      if (!placeholderAllowed) return `${field} cannot be a placeholder: only shared files are registered`;
      return isCount(handle.size) ? null : `${field} must be a placeholder { kind: 'placeholder', size: integer >= 0 }`;
    default:
      return `${field}.kind must be 'file', 'bytes'${placeholderAllowed ? " or 'placeholder'" : ''}, got ${JSON.stringify(handle.kind)}`;
  }
}

function describeRange(range: unknown, field: string): string | null {
  return isRecord(range) && Number.isSafeInteger(range.start) && Number.isSafeInteger(range.end) ? null : `${field} must be { start: integer, end: integer }`;
}

function describeReferences(list: unknown, field: string, position: Position, areas: Areas): string | null {
  if (!Array.isArray(list)) return `${field} must be an array of { handleId, handle }`;
  for (let index = 0; index < list.length; index += 1) {
    const reference: unknown = list[index];
    const at = `${field}[${index}]`;
    if (!isRecord(reference) || typeof reference.handleId !== 'string') return `${at} must be { handleId: string, handle }`;
    const problem = describeStream(reference.handle, `${at}.handle`, position, areas, position === 'shared');
    if (problem !== null) return problem;
  }
  return null;
}

function describeKeyed(handle: unknown, field: string, areas: Areas): string | null {
  if (!isRecord(handle)) return `${field} must be a keyed state handle object`;
  if (handle.kind === 'key-groups') {
    return describeRange(handle.keyGroupRange, `${field}.keyGroupRange`)
      ?? (Array.isArray(handle.offsets) && handle.offsets.every(isCount) ? null : `${field}.offsets must be an array of integers >= 0`)
      ?? describeStream(handle.stream, `${field}.stream`, 'private', areas, false);
  }
  if (handle.kind === 'incremental') {
    if (typeof handle.backendId !== 'string') return `${field}.backendId must be a string, got ${typeof handle.backendId}`;
    return describeRange(handle.keyGroupRange, `${field}.keyGroupRange`)
      ?? (Number.isSafeInteger(handle.checkpointId) ? null : `${field}.checkpointId must be an integer`)
      ?? describeReferences(handle.sharedState, `${field}.sharedState`, 'shared', areas)
      ?? describeReferences(handle.privateState, `${field}.privateState`, 'private', areas)
      ?? describeStream(handle.metaState, `${field}.metaState`, 'private', areas, false);
  }
  return `${field}.kind must be 'key-groups' or 'incremental', got ${JSON.stringify(handle.kind)}`;
}

/**
 * Says what is wrong with the state a task acknowledged checkpoint `checkpointId` of job `jobId` with, or null when it
 * is well formed: every handle of the right shape, inline values that JSON keeps as they are, and every file where a
 * file of that checkpoint may be — private files under `<job>/chk-<id>/`, shared files under `<job>/shared/`, either
 * under `<job>/taskowned/`. So no acknowledgement can make a checkpoint reference, and later delete, a file of another
 * checkpoint or another job.
 */
export function describeMalformedTaskState(state: unknown, jobId: string, checkpointId: number, field: string): string | null {
  if (!isRecord(state) || !Array.isArray(state.keyedState) || !('operatorState' in state)) {
    return `${field} must be a TaskStateSnapshot { operatorState, keyedState: [] }`;
  }
  const operator = state.operatorState;
  const inline = operator === null || (isRecord(operator) && operator.kind === 'inline');
  if (operator !== null && inline) {
    if (!('value' in operator)) return `${field}.operatorState.value is missing`;
    const problem = findJsonProblem(operator.value);
    if (problem !== null) return `${field}.operatorState.value is not JSON: ${problem}`;
  }
  // The common acknowledgement names no file: it needs no area paths (built per acknowledgement, they were its main cost).
  if (inline && state.keyedState.length === 0) return null;
  const areas: Areas = {
    privateArea: `${storageLayout.checkpointDirectory(asJobId(jobId), asCheckpointId(checkpointId))}/`,
    sharedArea: `${jobId}/shared/`,
    taskOwnedArea: `${jobId}/taskowned/`,
  };
  if (!inline) {
    const problem = describeStream(operator, `${field}.operatorState`, 'private', areas, false);
    if (problem !== null) return problem.replace(`.kind must be 'file', 'bytes'`, `.kind must be 'inline', 'file', 'bytes'`);
  }
  for (let index = 0; index < state.keyedState.length; index += 1) {
    const problem = describeKeyed(state.keyedState[index], `${field}.keyedState[${index}]`, areas);
    if (problem !== null) return problem;
  }
  return null;
}
