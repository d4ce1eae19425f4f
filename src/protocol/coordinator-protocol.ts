import type { TypedRef } from '../actor/typed-ref.js';
import type { AttemptId, TaskId } from '../core/ids.js';
import type { JobStatus } from '../core/job-status.js';
import type { CheckpointRetention } from '../checkpoint/checkpoint-properties.js';
import type { CheckpointOutcome, RestoreOutcome } from './checkpoint-outcome.js';
import type { CheckpointStats } from './checkpoint-stats.js';
import type { TaskSpec } from './task-deployment.js';
import type { CoordinatorToTaskMessage } from './task-protocol.js';

/** Reply to requests that only need to say they were done. */
export type Done = { readonly done: true };

/** A task's current attempt and its ref. */
export interface RunningTask {
  readonly taskId: TaskId;
  readonly attemptId: AttemptId;
  readonly ref: TypedRef<CoordinatorToTaskMessage>;
  readonly running: boolean;
}

/** Trigger a checkpoint now (ignores the minimum pause, waits for a concurrency slot). Replies when it completes or fails. */
export interface TriggerCheckpointNow {
  readonly type: 'TriggerCheckpointNow';
  readonly replyTo: TypedRef<CheckpointOutcome>;
}

/**
 * Trigger a savepoint now (ignores the minimum pause and the concurrency limit). Replies when it completes or fails.
 * With `targetDirectory`, the savepoint is also written there as a self-contained directory (every file it references
 * copied into it), which the engine never deletes; the reply names it (`savepointPath`).
 */
export interface TriggerSavepoint {
  readonly type: 'TriggerSavepoint';
  readonly replyTo: TypedRef<CheckpointOutcome>;
  readonly retention?: CheckpointRetention;
  /** A directory (created when missing) in which `savepoint-<jobId>-<id>-<suffix>/` is written. */
  readonly targetDirectory?: string;
}

/** Ask for the coordinator's statistics. */
export interface GetCheckpointStats {
  readonly type: 'GetCheckpointStats';
  readonly replyTo: TypedRef<CheckpointStats>;
}

/** Restore every task to the latest completed checkpoint (aborting pending ones). */
export interface RestoreLatestCheckpoint {
  readonly type: 'RestoreLatestCheckpoint';
  readonly replyTo: TypedRef<RestoreOutcome>;
}

/** Start the periodic trigger (after `initialDelay`). Starting a running timer does nothing. */
export interface StartCheckpointScheduler {
  readonly type: 'StartCheckpointScheduler';
  readonly replyTo: TypedRef<Done>;
}

/** Stop the periodic trigger; pending checkpoints carry on. */
export interface StopCheckpointScheduler {
  readonly type: 'StopCheckpointScheduler';
  readonly replyTo: TypedRef<Done>;
}

/** Add a task to the job and deploy its first attempt. Replies with the running task, or an error message when the id is taken. */
export interface RegisterTask {
  readonly type: 'RegisterTask';
  readonly task: TaskSpec;
  readonly replyTo: TypedRef<RunningTask | { readonly error: string }>;
}

/** Ask for every task's current attempt and ref (refs change when a task is restarted). */
export interface GetTasks {
  readonly type: 'GetTasks';
  readonly replyTo: TypedRef<readonly RunningTask[]>;
}

/** Shut the coordinator down: abort pending checkpoints, stop tasks, and shut the store and id counter down with this job status. */
export interface ShutdownCoordinator {
  readonly type: 'ShutdownCoordinator';
  readonly jobStatus: JobStatus;
  readonly replyTo: TypedRef<Done>;
}

/** Requests a client may send to the coordinator. */
export type CoordinatorRequest =
  | TriggerCheckpointNow
  | TriggerSavepoint
  | GetCheckpointStats
  | RestoreLatestCheckpoint
  | StartCheckpointScheduler
  | StopCheckpointScheduler
  | RegisterTask
  | GetTasks
  | ShutdownCoordinator;
