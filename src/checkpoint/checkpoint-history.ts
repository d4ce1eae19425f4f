import type { CheckpointId, JobId, TaskId } from '../core/ids.js';
import type { CheckpointFailureReason } from './checkpoint-failure-reason.js';
import type { CheckpointType } from './checkpoint-properties.js';

/** Where a checkpoint of the history stands. */
export const CheckpointHistoryStatus = {
  IN_PROGRESS: 'in-progress',
  COMPLETED: 'completed',
  FAILED: 'failed',
} as const;
export type CheckpointHistoryStatus = (typeof CheckpointHistoryStatus)[keyof typeof CheckpointHistoryStatus];

/** The smallest, mean and largest of some numbers. */
export interface MinAvgMax {
  readonly min: number;
  readonly avg: number;
  readonly max: number;
}

/** How long the tasks took to acknowledge one checkpoint, in ms after its trigger, over the tasks that acknowledged. */
export interface AcknowledgementLatencySummary extends MinAvgMax {
  /** The 99th percentile (nearest rank). */
  readonly p99: number;
  /** Tasks that acknowledged; the summary is over them. */
  readonly acknowledged: number;
  /** Tasks the checkpoint was triggered on. */
  readonly tasks: number;
}

/** One checkpoint or savepoint of the history, as Flink's web UI shows it in the checkpoint tab. */
export interface CheckpointHistoryEntry {
  readonly checkpointId: CheckpointId;
  readonly kind: CheckpointType;
  readonly status: CheckpointHistoryStatus;
  readonly triggerTimestamp: number;
  /** When it completed or failed; null while in progress. */
  readonly endTimestamp: number | null;
  /** End to end, trigger to completion or failure; null while in progress. */
  readonly durationMs: number | null;
  /** Null while in progress, and when no task acknowledged. */
  readonly acknowledgementLatency: AcknowledgementLatencySummary | null;
  /** The task that acknowledged last, and after how long; null when none acknowledged (or still in progress). */
  readonly slowestTask: { readonly taskId: TaskId; readonly latencyMs: number } | null;
  /** Bytes of state the completed checkpoint refers to (inline, private and shared); null unless completed. */
  readonly stateSize: number | null;
  /**
   * Bytes this checkpoint persisted itself: inline state plus the files the previous completed checkpoint did not
   * reference (an incremental checkpoint's new uploads); null unless completed. Equal to `stateSize` for a full upload.
   */
  readonly persistedBytes: number | null;
  /** Why it failed; null unless failed. */
  readonly failureReason: CheckpointFailureReason | null;
  readonly failureMessage: string | null;
}

/** A restore of every task, to a checkpoint or (null) to empty state. */
export interface RestoreRecord {
  readonly checkpointId: CheckpointId | null;
  readonly timestamp: number;
}

/** Counts and ranges over the finished checkpoints the history holds. */
export interface CheckpointHistorySummary {
  readonly completed: number;
  readonly failed: number;
  readonly inProgress: number;
  /** Over completed checkpoints; null when there is none. */
  readonly durationMs: MinAvgMax | null;
  readonly stateSize: MinAvgMax | null;
  readonly persistedBytes: MinAvgMax | null;
}

/**
 * The latest checkpoints of a job, bounded (Flink's `web.checkpoints.history`): in-progress ones, then finished
 * ones, oldest first; the restores that happened meanwhile; and a summary. Returned in `CheckpointStats.history`, and
 * persisted beside the checkpoints for `nact-checkpoint history` and `report`.
 */
export interface CheckpointHistory {
  /** How many finished checkpoints it keeps (`historySize`). */
  readonly capacity: number;
  /** Oldest first: the finished ones the capacity keeps, then the ones in progress. */
  readonly entries: readonly CheckpointHistoryEntry[];
  /** The latest restores, oldest first, at most `capacity`. */
  readonly restores: readonly RestoreRecord[];
  readonly summary: CheckpointHistorySummary;
}

/** Totals over the whole run of a coordinator, beside the bounded history. */
export interface CheckpointHistoryTotals {
  readonly triggered: number;
  readonly completed: number;
  readonly failed: number;
  readonly restored: number;
}

/**
 * The history as persisted beside the checkpoints (`<jobId>/checkpoint-history.json`), for `nact-checkpoint history`
 * and `report` after the job ended.
 */
export interface PersistedCheckpointHistory {
  readonly jobId: JobId;
  /** When the coordinator wrote it (its clock). */
  readonly writtenAt: number;
  readonly totals: CheckpointHistoryTotals;
  readonly history: CheckpointHistory;
}
