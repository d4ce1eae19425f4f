import type { CheckpointId, JobId } from '../core/ids.js';
import { freeze } from 'immer';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { DiscardCause } from '../checkpoint/completed-checkpoint-store.js';
import { CheckpointType } from '../checkpoint/checkpoint-properties.js';
import { SharedStateRegistry } from '../state/shared-state-registry.js';
import type { AsyncStateDiscarder } from '../state/state-discarder.js';
import type { StreamStateHandle, TaskStateSnapshot } from '../state/state-handles.js';
import type { CheckpointStateCleaner } from './checkpoint-state-cleaner.js';

function privateHandlesOf(state: TaskStateSnapshot): StreamStateHandle[] {
  const handles: StreamStateHandle[] = [];
  const operator = state.operatorState;
  if (operator !== null && operator.kind !== 'inline') handles.push(operator);
  for (const keyed of state.keyedState) {
    if (keyed.kind === 'key-groups') {
      handles.push(keyed.stream);
      continue;
    }
    handles.push(keyed.metaState);
    for (const { handle } of keyed.privateState) if (handle.kind !== 'placeholder') handles.push(handle);
  }
  return handles;
}

/**
 * The state cleaner for checkpoints kept in {@link CheckpointStorage}: completed checkpoints register their shared
 * files in a {@link SharedStateRegistry} (keyed by backend UUID + key-group range + handle id); a file is deleted only
 * when no retained checkpoint references it any more. All deletions go through an {@link AsyncStateDiscarder},
 * off the coordinator's mailbox, with retries; failures are reported by the discarder, never dropped.
 */
export class DefaultCheckpointStateCleaner implements CheckpointStateCleaner {
  readonly registry: SharedStateRegistry;

  constructor(private readonly discarder: AsyncStateDiscarder) {
    this.registry = new SharedStateRegistry((handle) => discarder.discardHandle(handle));
  }

  registerCompleted(checkpoint: CompletedCheckpoint): CompletedCheckpoint {
    const taskStates = this.registry.registerCheckpoint(checkpoint.checkpointId, checkpoint.taskStates);
    return taskStates === checkpoint.taskStates ? checkpoint : freeze({ ...checkpoint, taskStates }, true);
  }

  registerRecovered(checkpoints: readonly CompletedCheckpoint[]): void {
    for (const checkpoint of checkpoints) this.registry.registerCheckpoint(checkpoint.checkpointId, checkpoint.taskStates);
  }

  discardPrivateState(states: readonly TaskStateSnapshot[]): void {
    for (const state of states) for (const handle of privateHandlesOf(state)) this.discarder.discardHandle(handle);
  }

  discardUnreferencedSharedState(states: readonly TaskStateSnapshot[]): void {
    const asTaskStates = Object.fromEntries(states.map((state, index) => [String(index), state]));
    for (const file of this.registry.unreferencedSharedFiles(asTaskStates)) this.discarder.discardHandle(file);
  }

  discardAbortedCheckpoint(jobId: JobId, checkpointId: CheckpointId): void {
    this.discarder.discardCheckpointDirectory(jobId, checkpointId);
  }

  async discard(checkpoint: CompletedCheckpoint, cause: DiscardCause): Promise<void> {
    this.registry.unregisterCheckpoint(checkpoint.checkpointId, checkpoint.taskStates);
    // A retained savepoint's directory belongs to the user; one the store refused (failed-add) never became a
    // savepoint, and its metadata, already written, would otherwise stay behind as an orphan.
    if (checkpoint.properties.type === CheckpointType.SAVEPOINT && cause !== 'failed-add') return;
    this.discarder.discardCheckpointDirectory(checkpoint.jobId, checkpoint.checkpointId);
  }

  pendingDiscards(): number {
    return this.discarder.pendingCount();
  }
}
