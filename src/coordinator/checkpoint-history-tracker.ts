import type { CheckpointId } from '../core/ids.js';
import type { CheckpointFailureReason } from '../checkpoint/checkpoint-failure-reason.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import { CheckpointType } from '../checkpoint/checkpoint-properties.js';
import type { PendingCheckpoint } from '../checkpoint/pending-checkpoint.js';
import {
  CheckpointHistoryStatus, type CheckpointHistory, type CheckpointHistoryEntry, type CheckpointHistorySummary, type MinAvgMax, type RestoreRecord,
} from '../checkpoint/checkpoint-history.js';
import { filePathsOf, persistedSizeOf } from '../state/state-size.js';
import { summarizeAcknowledgementLatencies } from './acknowledgement-latency.js';

/**
 * The bounded history of the stats tracker (Flink's `web.checkpoints.history`): the latest `capacity` finished
 * checkpoints, each summarized once when it finishes (latencies, persisted bytes), the checkpoints in progress, and the
 * latest restores. Nothing here runs per acknowledgement.
 */
export class CheckpointHistoryTracker {
  private readonly finished: CheckpointHistoryEntry[] = [];
  private readonly restores: RestoreRecord[] = [];
  private readonly inProgress = new Map<CheckpointId, PendingCheckpoint>();
  /** Files the latest completed checkpoint referenced: what the next one does not persist again. */
  private storedFiles: ReadonlySet<string> = new Set();
  private summary: CheckpointHistorySummary = summarize([]);

  constructor(readonly capacity: number) {}

  triggered(pending: PendingCheckpoint): void {
    this.inProgress.set(pending.checkpointId, pending);
  }

  completed(checkpoint: CompletedCheckpoint, pending: PendingCheckpoint | null): void {
    this.inProgress.delete(checkpoint.checkpointId);
    let persistedBytes = 0;
    const files = new Set<string>();
    for (const state of Object.values(checkpoint.taskStates)) {
      persistedBytes += persistedSizeOf(state, this.storedFiles);
      filePathsOf(state, files);
    }
    // A savepoint is a copy of its own: the next checkpoint is compared with the checkpoint before it.
    if (checkpoint.properties.type === CheckpointType.CHECKPOINT) this.storedFiles = files;
    const latencies = pending === null ? { summary: null, slowestTask: null } : summarizeAcknowledgementLatencies(pending.acknowledgementLatencyArray(), pending.participants.taskIds);
    this.add({
      checkpointId: checkpoint.checkpointId,
      kind: checkpoint.properties.type,
      status: CheckpointHistoryStatus.COMPLETED,
      triggerTimestamp: checkpoint.triggerTimestamp,
      endTimestamp: checkpoint.completionTimestamp,
      durationMs: checkpoint.completionTimestamp - checkpoint.triggerTimestamp,
      acknowledgementLatency: latencies.summary,
      slowestTask: latencies.slowestTask,
      stateSize: checkpoint.stateSize,
      persistedBytes,
      failureReason: null,
      failureMessage: null,
    });
  }

  failed(pending: PendingCheckpoint, reason: CheckpointFailureReason, message: string, timestamp: number): void {
    this.inProgress.delete(pending.checkpointId);
    const latencies = summarizeAcknowledgementLatencies(pending.acknowledgementLatencyArray(), pending.participants.taskIds);
    this.add({
      checkpointId: pending.checkpointId,
      kind: pending.properties.type,
      status: CheckpointHistoryStatus.FAILED,
      triggerTimestamp: pending.triggerTimestamp,
      endTimestamp: timestamp,
      durationMs: timestamp - pending.triggerTimestamp,
      acknowledgementLatency: latencies.summary,
      slowestTask: latencies.slowestTask,
      stateSize: null,
      persistedBytes: null,
      failureReason: reason,
      failureMessage: message,
    });
  }

  restored(record: RestoreRecord): void {
    this.restores.push(record);
    if (this.restores.length > this.capacity) this.restores.shift();
  }

  /** A copy of the history as it is now. */
  snapshot(): CheckpointHistory {
    const running = [...this.inProgress.values()].sort((a, b) => a.checkpointId - b.checkpointId).map(inProgressEntry);
    return {
      capacity: this.capacity,
      entries: [...this.finished, ...running],
      restores: [...this.restores],
      summary: { ...this.summary, inProgress: running.length },
    };
  }

  private add(entry: CheckpointHistoryEntry): void {
    this.finished.push(entry);
    if (this.finished.length > this.capacity) this.finished.shift();
    this.summary = summarize(this.finished);
  }
}

function inProgressEntry(pending: PendingCheckpoint): CheckpointHistoryEntry {
  return {
    checkpointId: pending.checkpointId,
    kind: pending.properties.type,
    status: CheckpointHistoryStatus.IN_PROGRESS,
    triggerTimestamp: pending.triggerTimestamp,
    endTimestamp: null,
    durationMs: null,
    acknowledgementLatency: null,
    slowestTask: null,
    stateSize: null,
    persistedBytes: null,
    failureReason: null,
    failureMessage: null,
  };
}

function range(values: readonly number[]): MinAvgMax | null {
  if (values.length === 0) return null;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let total = 0;
  for (const value of values) {
    min = Math.min(min, value);
    max = Math.max(max, value);
    total += value;
  }
  return { min, avg: total / values.length, max };
}

/** Counts and ranges over finished entries; `inProgress` is filled in by the snapshot. */
export function summarize(entries: readonly CheckpointHistoryEntry[]): CheckpointHistorySummary {
  const completed = entries.filter((entry) => entry.status === CheckpointHistoryStatus.COMPLETED);
  return {
    completed: completed.length,
    failed: entries.filter((entry) => entry.status === CheckpointHistoryStatus.FAILED).length,
    inProgress: entries.filter((entry) => entry.status === CheckpointHistoryStatus.IN_PROGRESS).length,
    durationMs: range(completed.map((entry) => entry.durationMs as number)),
    stateSize: range(completed.map((entry) => entry.stateSize as number)),
    persistedBytes: range(completed.map((entry) => entry.persistedBytes as number)),
  };
}
