import type { JsonValue } from '../core/json.js';
import type { KeyedStateHandle, PlaceholderStreamStateHandle, StreamStateHandle, TaskStateSnapshot } from './state-handles.js';

function keyedSize(handle: KeyedStateHandle): number {
  if (handle.kind === 'key-groups') return handle.stream.size;
  let size = handle.metaState.size;
  for (const file of handle.sharedState) size += file.handle.size;
  for (const file of handle.privateState) size += file.handle.size;
  return size;
}

function inlineSize(value: JsonValue): number {
  switch (typeof value) {
    case 'number':
    case 'boolean':
      return String(value).length;
    case 'string':
      return value.length + 2;
    default:
      return JSON.stringify(value).length;
  }
}

/** Bytes a task's snapshot refers to: inline values count as their JSON length; placeholders as the size they stand for. */
export function stateSizeOf(snapshot: TaskStateSnapshot): number {
  const operator = snapshot.operatorState;
  let size = operator === null ? 0 : operator.kind === 'inline' ? inlineSize(operator.value) : operator.size;
  for (const handle of snapshot.keyedState) size += keyedSize(handle);
  return size;
}

function streamPersisted(handle: StreamStateHandle | PlaceholderStreamStateHandle, alreadyStored: ReadonlySet<string>): number {
  if (handle.kind === 'placeholder') return 0;
  if (handle.kind === 'bytes') return handle.size;
  return alreadyStored.has(handle.path) ? 0 : handle.size;
}

/**
 * Bytes a task's snapshot persisted itself: inline state and byte streams (they are written with the metadata every
 * time), plus every file whose path is not in `alreadyStored` (the files an earlier checkpoint referenced).
 * Placeholders stand for earlier uploads and count nothing.
 */
export function persistedSizeOf(snapshot: TaskStateSnapshot, alreadyStored: ReadonlySet<string>): number {
  const operator = snapshot.operatorState;
  let size = operator === null ? 0 : operator.kind === 'inline' ? inlineSize(operator.value) : streamPersisted(operator, alreadyStored);
  for (const handle of snapshot.keyedState) {
    if (handle.kind === 'key-groups') {
      size += streamPersisted(handle.stream, alreadyStored);
      continue;
    }
    size += streamPersisted(handle.metaState, alreadyStored);
    for (const file of handle.sharedState) size += streamPersisted(file.handle, alreadyStored);
    for (const file of handle.privateState) size += streamPersisted(file.handle, alreadyStored);
  }
  return size;
}

/** The paths of every file a task's snapshot references. */
export function filePathsOf(snapshot: TaskStateSnapshot, into: Set<string> = new Set()): Set<string> {
  const add = (handle: StreamStateHandle | PlaceholderStreamStateHandle): void => {
    if (handle.kind === 'file') into.add(handle.path);
  };
  if (snapshot.operatorState !== null && snapshot.operatorState.kind !== 'inline') add(snapshot.operatorState);
  for (const handle of snapshot.keyedState) {
    if (handle.kind === 'key-groups') {
      add(handle.stream);
      continue;
    }
    add(handle.metaState);
    for (const file of handle.sharedState) add(file.handle);
    for (const file of handle.privateState) add(file.handle);
  }
  return into;
}
