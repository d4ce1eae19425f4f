import type { CheckpointId, TaskId } from '../core/ids.js';
import type { JobStatus } from '../core/job-status.js';
import type { CheckpointFailureReason } from '../checkpoint/checkpoint-failure-reason.js';
import type { CheckpointType } from '../checkpoint/checkpoint-properties.js';

/** The coordinator's counters and latest events, as a frozen snapshot answered to `GetCheckpointStats`. */
export interface CheckpointStats {
  readonly jobStatus: JobStatus;
  readonly timerRunning: boolean;
  readonly counts: {
    readonly triggered: number;
    readonly inProgress: number;
    readonly completed: number;
    readonly failed: number;
    readonly restored: number;
    readonly taskRestarts: number;
    readonly jobFailures: number;
    readonly discardedStates: number;
    readonly malformedMessages: number;
    readonly foreignMessages: number;
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
}
