import type { PlaceholderStreamStateHandle, StreamStateHandle, TaskStateSnapshot } from './state-handles.js';

/** Whether a file belongs to one checkpoint (`private`: operator state, key-group streams, private and meta state) or may be shared by later ones. */
export type FilePosition = 'private' | 'shared';

/** One stream handle of a task's snapshot and where it sits in it. */
export interface StreamHandleInSnapshot {
  readonly handle: StreamStateHandle | PlaceholderStreamStateHandle;
  readonly position: FilePosition;
  /** The index in `keyedState`; null for the operator state. */
  readonly keyedIndex: number | null;
  /** The field the handle is, or sits in. */
  readonly part: 'operatorState' | 'stream' | 'sharedState' | 'privateState' | 'metaState';
  /** The reference's index in `sharedState` / `privateState`, and its handle id; null elsewhere. */
  readonly reference: { readonly index: number; readonly handleId: string } | null;
}

/**
 * Every stream handle (file, bytes or placeholder) a task's snapshot names, in snapshot order: the one walk over a
 * snapshot's handles for the audit, the discard rule and the acknowledgement check. (`filePathsOf` keeps its own
 * allocation-free loop: it runs for every task of every finished checkpoint.)
 */
export function* streamHandlesOf(state: TaskStateSnapshot): Generator<StreamHandleInSnapshot> {
  if (state.operatorState !== null && state.operatorState.kind !== 'inline') {
    yield { handle: state.operatorState, position: 'private', keyedIndex: null, part: 'operatorState', reference: null };
  }
  for (const [keyedIndex, keyed] of state.keyedState.entries()) {
    if (keyed.kind === 'key-groups') {
      yield { handle: keyed.stream, position: 'private', keyedIndex, part: 'stream', reference: null };
      continue;
    }
    for (const [index, { handleId, handle }] of keyed.sharedState.entries()) {
      yield { handle, position: 'shared', keyedIndex, part: 'sharedState', reference: { index, handleId } };
    }
    for (const [index, { handleId, handle }] of keyed.privateState.entries()) {
      yield { handle, position: 'private', keyedIndex, part: 'privateState', reference: { index, handleId } };
    }
    yield { handle: keyed.metaState, position: 'private', keyedIndex, part: 'metaState', reference: null };
  }
}

/** Every file a task's snapshot names, with whether it is private to its checkpoint or shared. */
export function* fileHandlesOf(state: TaskStateSnapshot): Generator<{ readonly path: string; readonly position: FilePosition }> {
  for (const { handle, position } of streamHandlesOf(state)) if (handle.kind === 'file') yield { path: handle.path, position };
}
