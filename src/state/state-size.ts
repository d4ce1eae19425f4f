import type { JsonValue } from '../core/json.js';
import type { KeyedStateHandle, TaskStateSnapshot } from './state-handles.js';

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
