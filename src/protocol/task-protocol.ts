import type { AttemptId, CheckpointId, JobId, TaskId } from '../core/ids.js';
import type { CheckpointProperties } from '../checkpoint/checkpoint-properties.js';
import type { CheckpointFailureReason } from '../checkpoint/checkpoint-failure-reason.js';
import type { TaskStateSnapshot } from '../state/state-handles.js';

/** Every task <-> coordinator message carries this envelope. */
export interface TaskEnvelope {
  readonly jobId: JobId;
  readonly taskId: TaskId;
  readonly attemptId: AttemptId;
  readonly checkpointId: CheckpointId;
}

/** Coordinator -> task: take a snapshot for this checkpoint and acknowledge (or decline) it. */
export interface TriggerCheckpoint extends TaskEnvelope {
  readonly type: 'TriggerCheckpoint';
  readonly timestamp: number;
  readonly properties: CheckpointProperties;
  /**
   * True when this snapshot must not reference any file an earlier snapshot uploaded: the job was started from a
   * savepoint or retained checkpoint it does not own (restore mode no-claim), so nothing new may depend on those files.
   * Incremental backends honour it by uploading their whole state as a new base. Absent means false.
   */
  readonly fullSnapshot?: boolean;
}

/** Coordinator -> task: the checkpoint completed; commit side effects up to and including it. */
export interface NotifyCheckpointComplete extends TaskEnvelope {
  readonly type: 'NotifyCheckpointComplete';
}

/** Coordinator -> task: the checkpoint was aborted; drop whatever was prepared for it. Sent once per aborted checkpoint. */
export interface NotifyCheckpointAborted extends TaskEnvelope {
  readonly type: 'NotifyCheckpointAborted';
  readonly reason: CheckpointFailureReason;
}

/**
 * Coordinator -> task: reset to this state (the task's part of the latest completed checkpoint).
 * `checkpointId` is null and `state` is null when there is no checkpoint to restore: the task starts empty.
 */
export interface RestoreState {
  readonly type: 'RestoreState';
  readonly jobId: JobId;
  readonly taskId: TaskId;
  readonly attemptId: AttemptId;
  readonly checkpointId: CheckpointId | null;
  readonly state: TaskStateSnapshot | null;
  /**
   * Which restore of the coordinator this is: every task of one restore gets the same number, and it grows with each
   * restore. Tasks that exchange messages among themselves tag them with it, so whatever was sent before the restore is
   * told apart. The coordinator always sets it; a hand-written message may leave it out.
   */
  readonly restoreRound?: number;
}

/** Messages the coordinator sends to tasks. */
export type CoordinatorToTaskMessage = TriggerCheckpoint | NotifyCheckpointComplete | NotifyCheckpointAborted | RestoreState;

/** Task -> coordinator: the task's snapshot for this checkpoint is done (its state may be empty). */
export interface AcknowledgeCheckpoint extends TaskEnvelope {
  readonly type: 'AcknowledgeCheckpoint';
  readonly state: TaskStateSnapshot;
}

/** Task -> coordinator: the task cannot take this checkpoint; the checkpoint is aborted as declined. */
export interface DeclineCheckpoint extends TaskEnvelope {
  readonly type: 'DeclineCheckpoint';
  readonly reason: string;
}

/** Task -> coordinator: this attempt of the task failed (crashed or stopped unexpectedly). */
export interface TaskFailed {
  readonly type: 'TaskFailed';
  readonly jobId: JobId;
  readonly taskId: TaskId;
  readonly attemptId: AttemptId;
  readonly error: string;
}

/** Messages tasks send to the coordinator. */
export type TaskToCoordinatorMessage = AcknowledgeCheckpoint | DeclineCheckpoint | TaskFailed;
