import type { CheckpointId, JobId, TaskId } from '../core/ids.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import { CheckpointType } from '../checkpoint/checkpoint-properties.js';
import type { TaskStateSnapshot } from '../state/state-handles.js';

/** What a restore sends: the checkpoint, and each task's own state by task index (null: the task starts empty). */
export type RestorePlan =
  | { readonly ok: true; readonly checkpointId: CheckpointId | null; readonly states: readonly (TaskStateSnapshot | null)[] }
  | { readonly ok: false; readonly problem: string };

/** The settings a restore plan depends on. */
export interface RestoreRules {
  readonly jobId: JobId;
  readonly errorIfNoCheckpoint: boolean;
  readonly allowNonRestoredState: boolean;
}

/**
 * Plans a restore from the latest completed checkpoint: each task gets its own state (none when the checkpoint has none
 * for it). The restore cannot go ahead when there is no checkpoint and `errorIfNoCheckpoint` is set, or when the
 * checkpoint holds state of tasks the job no longer has, unless `allowNonRestoredState` is set. Pure.
 */
export function planRestore(latest: CompletedCheckpoint | null, taskIds: readonly TaskId[], rules: RestoreRules): RestorePlan {
  if (latest === null) {
    return rules.errorIfNoCheckpoint
      ? { ok: false, problem: `restore of job ${rules.jobId} failed: there is no completed checkpoint to restore from and errorIfNoCheckpoint is set` }
      : { ok: true, checkpointId: null, states: taskIds.map(() => null) };
  }
  if (!rules.allowNonRestoredState) {
    const known = new Set<string>(taskIds);
    const orphaned = Object.keys(latest.taskStates).filter((taskId) => !known.has(taskId));
    if (orphaned.length > 0) {
      return {
        ok: false,
        problem: `restore of job ${rules.jobId} failed: checkpoint ${latest.checkpointId} holds state for task(s) ${orphaned.join(', ')} that no longer exist; set allowNonRestoredState to restore without it`,
      };
    }
  }
  return { ok: true, checkpointId: latest.checkpointId, states: taskIds.map((taskId) => latest.taskStates[taskId] ?? null) };
}

/**
 * What a restore starts from among the retained checkpoints and savepoints: the latest checkpoint, and a savepoint
 * only when no checkpoint is retained (the latest one then). A savepoint is the user's: it may be moved or deleted,
 * and tasks do not commit on it, so a later checkpoint always wins. Null when nothing is retained. Pure.
 */
export function restorePointOf(retained: readonly CompletedCheckpoint[]): CompletedCheckpoint | null {
  return retained.findLast((checkpoint) => checkpoint.properties.type === CheckpointType.CHECKPOINT) ?? retained.at(-1) ?? null;
}
