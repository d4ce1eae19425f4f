import { freeze } from 'immer';
import { CheckpointRetention, CheckpointType } from '../../src/checkpoint/checkpoint-properties.js';
import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint.js';
import { asCheckpointId, asJobId, type JobId, type TaskId } from '../../src/core/ids.js';
import type { TaskStateSnapshot } from '../../src/state/state-handles.js';

/** The job every fixture belongs to unless told otherwise. */
export const A_JOB: JobId = asJobId('job-1');

export interface CheckpointOverrides {
  readonly jobId?: JobId;
  readonly retention?: CheckpointRetention;
  readonly taskStates?: Readonly<Record<TaskId, TaskStateSnapshot>>;
  readonly stateSize?: number;
  readonly externalPointer?: string | null;
}

/** A completed periodic checkpoint of {@link A_JOB} with no state, triggered at `id * 1000`. */
export function aCheckpoint(id: number, overrides: CheckpointOverrides = {}): CompletedCheckpoint {
  return build(id, CheckpointType.CHECKPOINT, overrides.retention ?? CheckpointRetention.NEVER_RETAIN_AFTER_TERMINATION, false, overrides);
}

/** A completed savepoint of {@link A_JOB} with no state. Savepoints are forced and never subsumed. */
export function aSavepoint(id: number, overrides: CheckpointOverrides = {}): CompletedCheckpoint {
  return build(id, CheckpointType.SAVEPOINT, overrides.retention ?? CheckpointRetention.RETAIN_ON_CANCELLATION, true, overrides);
}

function build(id: number, type: CheckpointType, retention: CheckpointRetention, forced: boolean, overrides: CheckpointOverrides): CompletedCheckpoint {
  return freeze(
    {
      jobId: overrides.jobId ?? A_JOB,
      checkpointId: asCheckpointId(id),
      triggerTimestamp: id * 1000,
      completionTimestamp: id * 1000 + 50,
      properties: { type, retention, forced },
      taskStates: overrides.taskStates ?? {},
      stateSize: overrides.stateSize ?? 0,
      externalPointer: overrides.externalPointer ?? null,
    },
    true,
  );
}

/**
 * A task's state as an incremental backend acknowledges it: an operator-state file of its own under `chk-<id>/` and
 * one shared file under `shared/` named `<taskId>-<id>`, so specs can see which files a discard removes.
 */
export function aStateWithFiles(taskId: string, checkpointId: number, jobId: string = A_JOB): TaskStateSnapshot {
  return {
    operatorState: { kind: 'file', path: `${jobId}/chk-${checkpointId}/${taskId}-operator`, size: 1, checksum: 'c'.repeat(64) },
    keyedState: [{
      kind: 'incremental',
      backendId: `${taskId}-backend`,
      keyGroupRange: { start: 0, end: 0 },
      checkpointId: asCheckpointId(checkpointId),
      sharedState: [{ handleId: `${taskId}-${checkpointId}`, handle: { kind: 'file', path: `${jobId}/shared/${taskId}-${checkpointId}`, size: 1, checksum: 'c'.repeat(64) } }],
      privateState: [],
      metaState: { kind: 'bytes', handleName: 'meta', data: '', size: 0 },
    }],
  };
}
