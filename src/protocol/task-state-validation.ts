import { asCheckpointId, asJobId } from '../core/ids.js';
import { findJsonProblem } from '../core/json-problem.js';
import type { TaskStateSnapshot } from '../state/state-handles.js';
import { streamHandlesOf, type StreamHandleInSnapshot } from '../state/state-files.js';
import { storageLayout } from '../storage/storage-layout.js';
import { describeFoundValue, findTaskStateShapeProblem } from '../storage/task-state-shape.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function locationOf({ keyedIndex, part, reference }: StreamHandleInSnapshot, field: string): string {
  if (keyedIndex === null) return `${field}.operatorState`;
  return `${field}.keyedState[${keyedIndex}].${part}${reference === null ? '' : `[${reference.index}].handle`}`;
}

/**
 * Says what is wrong with the state a task acknowledged checkpoint `checkpointId` of job `jobId` with, or null when it
 * is well formed: the shape the metadata reader demands of it (so no checkpoint completes that cannot be read back),
 * inline values that JSON keeps as they are, no placeholder but for a shared file, and every file where a file of that
 * checkpoint may be — private files under `<job>/chk-<id>/`, shared files under `<job>/shared/`, either under
 * `<job>/taskowned/`. So no acknowledgement can make a checkpoint reference, and later delete, a file of another
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
  // The common acknowledgement names no file: it needs no walk and no area paths (built per acknowledgement, they were its main cost).
  if (inline && state.keyedState.length === 0) return null;
  const shape = findTaskStateShapeProblem(state, field);
  if (shape !== null) return `${shape.field} must be ${shape.expected}, found ${describeFoundValue(shape.actual)}`;
  const areas = storageLayout.uploadAreas(asJobId(jobId), asCheckpointId(checkpointId));
  for (const visit of streamHandlesOf(state as unknown as TaskStateSnapshot)) {
    const { handle, position } = visit;
    if (handle.kind === 'placeholder' && position !== 'shared') return `${locationOf(visit, field)} cannot be a placeholder: only shared files are registered`;
    if (handle.kind !== 'file') continue;
    const area = areas[position];
    if (!handle.path.startsWith(area) && !handle.path.startsWith(areas.taskOwned)) {
      return `${locationOf(visit, field)}.path ${JSON.stringify(handle.path)} lies outside ${area} (and ${areas.taskOwned}), where a ${position} file of this checkpoint must be`;
    }
  }
  return null;
}
