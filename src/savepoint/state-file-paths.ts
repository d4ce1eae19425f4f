import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { TaskId } from '../core/ids.js';
import type { FileStateHandle, KeyedStateHandle, StateFileReference, StreamStateHandle, TaskStateSnapshot } from '../state/state-handles.js';

/** Every distinct file a checkpoint's task states reference (operator state, key-group streams, shared, private and meta files). */
export function filesOf(checkpoint: CompletedCheckpoint): FileStateHandle[] {
  const files = new Map<string, FileStateHandle>();
  mapStateFiles(checkpoint.taskStates, (handle) => {
    files.set(handle.path, handle);
    return handle;
  });
  return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The task states with every file handle replaced by `map(handle)` (inline state, bytes and placeholders are kept).
 * @throws Error when a task state still holds a placeholder and `placeholders` is 'refuse': a completed checkpoint's
 *   placeholders are resolved when it is registered, so one left means the record is not what a restore can use.
 */
export function mapStateFiles(
  taskStates: Readonly<Record<TaskId, TaskStateSnapshot>>,
  map: (handle: FileStateHandle) => FileStateHandle,
  placeholders: 'keep' | 'refuse' = 'refuse',
): Record<TaskId, TaskStateSnapshot> {
  const stream = (handle: StreamStateHandle): StreamStateHandle => (handle.kind === 'file' ? map(handle) : handle);
  const reference = ({ handleId, handle }: StateFileReference): StateFileReference => {
    if (handle.kind === 'placeholder') {
      if (placeholders === 'refuse') throw new Error(`shared file ${handleId} is an unresolved placeholder; a completed checkpoint must hold the stored handle of every file`);
      return { handleId, handle };
    }
    return { handleId, handle: stream(handle) };
  };
  const keyed = (handle: KeyedStateHandle): KeyedStateHandle =>
    handle.kind === 'key-groups'
      ? { ...handle, stream: stream(handle.stream) }
      : { ...handle, sharedState: handle.sharedState.map(reference), privateState: handle.privateState.map(reference), metaState: stream(handle.metaState) };
  const result: Record<TaskId, TaskStateSnapshot> = {};
  for (const [taskId, state] of Object.entries(taskStates) as [TaskId, TaskStateSnapshot][]) {
    const operatorState = state.operatorState === null || state.operatorState.kind === 'inline' ? state.operatorState : stream(state.operatorState);
    result[taskId] = { operatorState, keyedState: state.keyedState.map(keyed) };
  }
  return result;
}
