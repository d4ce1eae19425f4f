import type { CheckpointHistory } from '../checkpoint/checkpoint-history.js';
import type { CheckpointId, TaskId } from '../core/ids.js';
import type { JobStatus } from '../core/job-status.js';
import type { CheckpointFailureReason } from '../checkpoint/checkpoint-failure-reason.js';
import type { CheckpointType } from '../checkpoint/checkpoint-properties.js';

/** The coordinator's counters and latest events, as a frozen snapshot answered to `GetCheckpointStats`. */
export interface CheckpointStats {
  readonly jobStatus: JobStatus;
  readonly timerRunning: boolean;
  readonly counts: {
    /** Checkpoints and savepoints that got an id and were sent to the tasks. */
    readonly triggered: number;
    /** Pending plus finalizing. */
    readonly inProgress: number;
    readonly completed: number;
    /** Triggered checkpoints that were aborted or failed to finalize. */
    readonly failed: number;
    /** Trigger requests refused before any task was reached (not running, too many queued, ...). */
    readonly refusedTriggers: number;
    readonly restored: number;
    readonly taskRestarts: number;
    /** Times checkpoint failures beyond `tolerableFailures` failed the job over. */
    readonly jobFailures: number;
    readonly duplicateAcknowledgements: number;
    /** Acknowledgements from unknown attempts or for checkpoints no longer pending: their state was discarded. */
    readonly discardedAcknowledgements: number;
    /** Task snapshots handed to the state cleaner for discarding. */
    readonly discardedStates: number;
    readonly malformedMessages: number;
    /** Messages of another job, ignored untouched. */
    readonly foreignMessages: number;
    /** Errors inside the coordinator or its listener, reported as events. */
    readonly internalErrors: number;
    /** Files the coordinator was asked to discard and left alone because they were not its to delete (reported as events). */
    readonly refusedDiscards: number;
  };
  readonly latestCompleted: {
    readonly checkpointId: CheckpointId;
    readonly type: CheckpointType;
    readonly durationMs: number;
    readonly stateSize: number;
    readonly completionTimestamp: number;
  } | null;
  readonly latestFailed: {
    readonly checkpointId: CheckpointId | null;
    readonly reason: CheckpointFailureReason;
    readonly message: string;
    readonly timestamp: number;
  } | null;
  readonly latestRestore: {
    readonly checkpointId: CheckpointId | null;
    readonly timestamp: number;
  } | null;
  /** Per-task acknowledgement latency (ms after trigger) of the last checkpoint that completed or was aborted; null where a task never acknowledged. */
  readonly lastAcknowledgementLatencies: {
    readonly checkpointId: CheckpointId;
    readonly perTask: Readonly<Record<TaskId, number | null>>;
  } | null;
  /** Continuous counted failures since the last success. */
  readonly continuousFailures: number;
  /** State deletions queued or in flight. */
  readonly pendingDiscards: number;
  /** The latest checkpoints (at most `historySize` finished ones, plus those in progress), the latest restores, and a summary. */
  readonly history: CheckpointHistory;
}
