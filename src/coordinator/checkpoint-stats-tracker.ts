import { freeze } from 'immer';
import type { CheckpointId, JobId, TaskId } from '../core/ids.js';
import type { JobStatus } from '../core/job-status.js';
import type { CheckpointFailureReason } from '../checkpoint/checkpoint-failure-reason.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { PendingCheckpoint } from '../checkpoint/pending-checkpoint.js';
import type { CheckpointStats } from '../protocol/checkpoint-stats.js';
import type { PersistedCheckpointHistory } from '../checkpoint/checkpoint-history.js';
import { CheckpointHistoryTracker } from './checkpoint-history-tracker.js';

type Counts = { -readonly [K in keyof Omit<CheckpointStats['counts'], 'inProgress'>]: number };

/** What the stats snapshot takes from the coordinator at the moment it is asked. */
export interface StatsView {
  readonly jobStatus: JobStatus;
  readonly timerRunning: boolean;
  readonly inProgress: number;
  readonly continuousFailures: number;
  readonly pendingDiscards: number;
}

/**
 * Counts and remembers what the coordinator did, for `GetCheckpointStats`: O(1) per acknowledgement, a history entry
 * summarized once per finished checkpoint, and a frozen snapshot built only when asked.
 */
export class CheckpointStatsTracker {
  readonly counts: Counts = {
    triggered: 0, completed: 0, failed: 0, refusedTriggers: 0, restored: 0, taskRestarts: 0, jobFailures: 0,
    duplicateAcknowledgements: 0, discardedAcknowledgements: 0, discardedStates: 0, malformedMessages: 0,
    foreignMessages: 0, internalErrors: 0, refusedDiscards: 0,
  };
  private latestCompleted: CheckpointStats['latestCompleted'] = null;
  private latestFailed: CheckpointStats['latestFailed'] = null;
  private latestRestore: CheckpointStats['latestRestore'] = null;
  private lastFinished: PendingCheckpoint | null = null;
  private readonly history: CheckpointHistoryTracker;

  /** `onHistoryChanged` is told after every finished checkpoint and every restore (not per trigger or acknowledgement). */
  constructor(historySize: number, private readonly onHistoryChanged: () => void = () => undefined) {
    this.history = new CheckpointHistoryTracker(historySize);
  }

  /** A checkpoint or savepoint was sent to the tasks. */
  reportTriggered(pending: PendingCheckpoint): void {
    this.counts.triggered += 1;
    this.history.triggered(pending);
  }

  reportCompleted(checkpoint: CompletedCheckpoint, pending: PendingCheckpoint | null): void {
    this.counts.completed += 1;
    this.latestCompleted = {
      checkpointId: checkpoint.checkpointId,
      type: checkpoint.properties.type,
      durationMs: checkpoint.completionTimestamp - checkpoint.triggerTimestamp,
      stateSize: checkpoint.stateSize,
      completionTimestamp: checkpoint.completionTimestamp,
    };
    if (pending !== null) this.lastFinished = pending;
    this.history.completed(checkpoint, pending);
    this.onHistoryChanged();
  }

  /** A triggered checkpoint failed (null pending: it failed before it was triggered, a refusal). */
  reportFailed(checkpointId: CheckpointId | null, reason: CheckpointFailureReason, message: string, timestamp: number, pending: PendingCheckpoint | null): void {
    if (pending === null) this.counts.refusedTriggers += 1;
    else {
      this.counts.failed += 1;
      this.lastFinished = pending;
      this.history.failed(pending, reason, message, timestamp);
      this.onHistoryChanged();
    }
    this.latestFailed = { checkpointId, reason, message, timestamp };
  }

  reportRestored(checkpointId: CheckpointId | null, timestamp: number): void {
    this.counts.restored += 1;
    this.latestRestore = { checkpointId, timestamp };
    this.history.restored({ checkpointId, timestamp });
    this.onHistoryChanged();
  }

  /** The history as persisted beside the checkpoints: the run's totals and the bounded history, as they are now. */
  persistedHistory(jobId: JobId, writtenAt: number): PersistedCheckpointHistory {
    const { triggered, completed, failed, restored } = this.counts;
    return { jobId, writtenAt, totals: { triggered, completed, failed, restored }, history: this.history.snapshot() };
  }

  snapshot(view: StatsView): CheckpointStats {
    const finished = this.lastFinished;
    return freeze(
      {
        jobStatus: view.jobStatus,
        timerRunning: view.timerRunning,
        counts: { ...this.counts, inProgress: view.inProgress },
        latestCompleted: this.latestCompleted,
        latestFailed: this.latestFailed,
        latestRestore: this.latestRestore,
        lastAcknowledgementLatencies: finished === null
          ? null
          : { checkpointId: finished.checkpointId, perTask: finished.acknowledgementLatencies() as Record<TaskId, number | null> },
        continuousFailures: view.continuousFailures,
        pendingDiscards: view.pendingDiscards,
        history: this.history.snapshot(),
      },
      true,
    );
  }
}
