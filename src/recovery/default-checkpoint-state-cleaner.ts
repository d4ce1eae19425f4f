import { freeze } from 'immer';
import type { CheckpointId, JobId } from '../core/ids.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import { CheckpointType } from '../checkpoint/checkpoint-properties.js';
import { SharedStateRegistry } from '../state/shared-state-registry.js';
import type { AsyncStateDiscarder } from '../storage/state-discarder.js';
import type { CheckpointStateCleaner, DiscardCauseOfStore } from '../coordinator/checkpoint-state-cleaner.js';
import { fileHandlesOf } from '../state/state-files.js';
import { storageLayout } from '../storage/storage-layout.js';

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

  releaseRegistrations(checkpoint: CompletedCheckpoint): void {
    this.registry.releaseCheckpoint(checkpoint.checkpointId, checkpoint.taskStates);
  }

  isSharedFileReferenced(path: string): boolean {
    return this.registry.isPathReferenced(path);
  }

  discardFile(path: string): void {
    this.discarder.discardFile(path);
  }

  discardCheckpointDirectory(jobId: JobId, checkpointId: CheckpointId): void {
    this.discarder.discardCheckpointDirectory(jobId, checkpointId);
  }

  async discard(checkpoint: CompletedCheckpoint, cause: DiscardCauseOfStore): Promise<void> {
    // A retained savepoint belongs to the user: the engine never deletes it (one that was never added is no savepoint).
    if (checkpoint.properties.type === CheckpointType.SAVEPOINT && cause !== 'not-added') return;
    // Unregistered now (this throws, and the store reports it, when the registry does not know the checkpoint's keys);
    // its files go only once its metadata is gone, each unless a later registration holds its path again.
    const released = this.registry.releaseCheckpoint(checkpoint.checkpointId, checkpoint.taskStates);
    const elsewhere = privateFilesOutsideItsDirectory(checkpoint);
    const deleteFiles = (): void => {
      for (const handle of released) if (handle.kind === 'file' && !this.registry.isPathReferenced(handle.path)) this.discarder.discardFile(handle.path);
      // A checkpoint the job claimed on restore keeps its private files where they were written (another job's
      // directory, a savepoint directory): they go one by one. The job's own checkpoints have none.
      for (const path of elsewhere) this.discarder.discardFile(path);
      this.discarder.discardCheckpointDirectory(checkpoint.jobId, checkpoint.checkpointId);
    };
    if (checkpoint.externalPointer === null) deleteFiles();
    else this.discarder.discardFileThen(checkpoint.externalPointer, deleteFiles);
  }

  pendingDiscards(): number {
    return this.discarder.pendingCount();
  }
}

/** Private files of a checkpoint that do not lie in its own `<job>/chk-<id>/` (nor in the task-owned area). */
function privateFilesOutsideItsDirectory(checkpoint: CompletedCheckpoint): string[] {
  const areas = storageLayout.uploadAreas(checkpoint.jobId, checkpoint.checkpointId);
  const paths = new Set<string>();
  for (const state of Object.values(checkpoint.taskStates)) {
    for (const { path, position } of fileHandlesOf(state)) {
      if (position === 'private' && !path.startsWith(areas.private) && !path.startsWith(areas.taskOwned)) paths.add(path);
    }
  }
  return [...paths];
}
