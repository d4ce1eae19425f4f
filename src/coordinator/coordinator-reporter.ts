import type { Clock } from '../actor/clock.js';
import { errorMessage } from '../core/error-message.js';
import type { CheckpointId, JobId } from '../core/ids.js';
import { LogLevel, logSafely, type Logger } from '../core/logger.js';
import type { CheckpointStats } from '../protocol/checkpoint-stats.js';
import type { CheckpointStorage } from '../storage/checkpoint-storage.js';
import type { DiscardRefusal } from './checkpoint-cleaner.js';
import { CheckpointHistoryWriter } from './checkpoint-history-writer.js';
import { CheckpointStatsTracker, type StatsView } from './checkpoint-stats-tracker.js';
import type { CoordinatorEvent, CoordinatorEventBody } from './coordinator-event.js';
import { logCoordinatorEvent } from './coordinator-event-log.js';

/** What the reporter needs to know of the job. */
export interface ReporterSettings {
  readonly jobId: JobId;
  readonly clock: Clock;
  readonly historySize: number;
  /** Persist the stats history beside the checkpoints (needs `storage`). */
  readonly persistHistory: boolean;
}

/**
 * Everything the coordinator tells the world about what it does: events (stamped with the clock's time and the job id,
 * logged at their level, handed to the listener), the counts and bounded history of `GetCheckpointStats`, and that
 * history persisted beside the checkpoints. Nothing it reports is only logged, and a listener that throws changes
 * nothing but a count.
 */
export class CoordinatorReporter {
  readonly stats: CheckpointStatsTracker;
  /** Persists the stats history beside the checkpoints; null when `persistHistory` is off or there is no storage. */
  private readonly historyWriter: CheckpointHistoryWriter | null;

  constructor(
    private readonly settings: ReporterSettings,
    private readonly logger: Logger,
    private readonly listener: ((event: CoordinatorEvent) => void) | null,
    storage: CheckpointStorage | null,
  ) {
    this.historyWriter = settings.persistHistory && storage !== null
      ? new CheckpointHistoryWriter(storage, () => this.stats.persistedHistory(settings.jobId, settings.clock.now()), (message) => this.emit({ type: 'storage-failure', message }))
      : null;
    this.stats = new CheckpointStatsTracker(settings.historySize, () => this.historyWriter?.request());
  }

  /** Stamps the event with the clock's time and the job id, logs it, and tells the listener. */
  emit(body: CoordinatorEventBody): void {
    const event: CoordinatorEvent = { ...body, timestamp: this.settings.clock.now(), jobId: this.settings.jobId };
    logCoordinatorEvent(this.logger, event);
    if (this.listener === null) return;
    try {
      this.listener(event);
    } catch (error) {
      this.stats.counts.internalErrors += 1;
      const { jobId } = this.settings;
      logSafely(this.logger, LogLevel.ERROR, { event: event.type, jobId, timestamp: event.timestamp }, `the onEvent listener of job ${jobId} threw on '${event.type}': ${errorMessage(error)}`);
    }
  }

  malformed(problem: string): void {
    this.stats.counts.malformedMessages += 1;
    this.emit({ type: 'malformed-message', problem });
  }

  refusedDiscards(checkpointId: CheckpointId, refused: readonly DiscardRefusal[]): void {
    this.stats.counts.refusedDiscards += refused.length;
    this.emit({ type: 'state-discard-refused', checkpointId, refused });
  }

  internalError(message: unknown, error: unknown): void {
    this.stats.counts.internalErrors += 1;
    const type = typeof message === 'object' && message !== null ? String((message as { type?: unknown }).type) : typeof message;
    this.emit({ type: 'internal-error', message: `handling '${type}' failed: ${errorMessage(error)}` });
  }

  snapshot(view: StatsView): CheckpointStats {
    return this.stats.snapshot(view);
  }

  /** Resolves once the history of everything reported so far is on disk (at once when it is not persisted). */
  flushHistory(): Promise<void> {
    return this.historyWriter?.flush() ?? Promise.resolve();
  }
}
