import type { CheckpointStateCleaner } from '../../src/coordinator/checkpoint-state-cleaner.js';
import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint.js';
import type { DiscardCause } from '../../src/checkpoint/completed-checkpoint-store.js';
import type { TaskStateSnapshot } from '../../src/state/state-handles.js';

function sharedPathsOf(checkpoint: CompletedCheckpoint): string[] {
  return Object.values<TaskStateSnapshot>(checkpoint.taskStates).flatMap((state) => state.keyedState.flatMap((keyed) => (
    keyed.kind === 'incremental' ? keyed.sharedState.flatMap(({ handle }) => (handle.kind === 'file' ? [handle.path] : [])) : []
  )));
}

/** A state cleaner that deletes nothing and records, in order, every file and directory it was asked to delete. */
export class RecordingStateCleaner implements CheckpointStateCleaner {
  readonly discardedFiles: string[] = [];
  readonly abortedDirectories: number[] = [];
  readonly discardedCompleted: { checkpointId: number; cause: DiscardCause }[] = [];
  readonly registered: number[] = [];
  readonly released: number[] = [];
  readonly recovered: number[] = [];
  /** Shared files registered checkpoints reference. */
  readonly referenced = new Set<string>();
  backlog = 0;

  registerCompleted(checkpoint: CompletedCheckpoint): CompletedCheckpoint {
    this.registered.push(checkpoint.checkpointId);
    for (const path of sharedPathsOf(checkpoint)) this.referenced.add(path);
    return checkpoint;
  }

  registerRecovered(checkpoints: readonly CompletedCheckpoint[]): void {
    this.recovered.push(...checkpoints.map((checkpoint) => checkpoint.checkpointId));
    for (const checkpoint of checkpoints) for (const path of sharedPathsOf(checkpoint)) this.referenced.add(path);
  }

  releaseRegistrations(checkpoint: CompletedCheckpoint): void {
    this.released.push(checkpoint.checkpointId);
    for (const path of sharedPathsOf(checkpoint)) this.referenced.delete(path);
  }

  isSharedFileReferenced(path: string): boolean {
    return this.referenced.has(path);
  }

  discardFile(path: string): void {
    this.discardedFiles.push(path);
  }

  discardCheckpointDirectory(_jobId: string, checkpointId: number): void {
    this.abortedDirectories.push(checkpointId);
  }

  async discard(checkpoint: CompletedCheckpoint, cause: DiscardCause): Promise<void> {
    this.discardedCompleted.push({ checkpointId: checkpoint.checkpointId, cause });
  }

  pendingDiscards(): number {
    return this.backlog;
  }

  /** The shared files (under `shared/`) it was asked to delete, in order. */
  discardedSharedFiles(): string[] {
    return this.discardedFiles.filter((path) => path.includes('/shared/'));
  }
}
