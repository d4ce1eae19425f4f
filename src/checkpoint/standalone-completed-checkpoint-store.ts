import { discardEach, type CompletedCheckpointDiscardFailure } from './discard-each.js';
import { InvalidOptionError } from '../core/invalid-option-error.js';
import { isGloballyTerminal, JobStatus } from '../core/job-status.js';
import { CheckpointIdOrderError } from './checkpoint-id-order-error.js';
import { CheckpointRetention, CheckpointType } from './checkpoint-properties.js';
import { CheckpointStoreShutDownError } from './checkpoint-store-shut-down-error.js';
import type { CompletedCheckpoint } from './completed-checkpoint.js';
import {
  keepEverything,
  type CompletedCheckpointDiscarder,
  type CompletedCheckpointStore,
  type DiscardCause,
} from './completed-checkpoint-store.js';
import { errorMessage } from '../core/error-message.js';
import { defaultLogger, LogLevel, logSafely, validateLogger, type Logger } from '../core/logger.js';

export type { CompletedCheckpointDiscardFailure } from './discard-each.js';

/** How a completed checkpoint store is set up. */
export interface CompletedCheckpointStoreOptions {
  /** How many checkpoints (not savepoints) to retain at most: an integer of at least 1. */
  readonly maxRetained: number;
  /** Releases checkpoints the store lets go of. Default: {@link keepEverything}. */
  readonly discarder?: CompletedCheckpointDiscarder;
  /** Told about every discard that threw or rejected. Default: a warning to `logger`. */
  readonly onDiscardFailure?: (failure: CompletedCheckpointDiscardFailure) => void;
  /** Where the default `onDiscardFailure` reports. Default: quiet unless `NODE_DEBUG=nact-checkpoint`. */
  readonly logger?: Logger;
}

/**
 * The bounded LIFO of completed checkpoints, kept in memory: the coordinator adds each checkpoint it completes,
 * and the store subsumes and discards the oldest beyond `maxRetained`. Savepoints are kept beside them, never
 * subsumed or discarded. Nothing survives the process; {@link DefaultCompletedCheckpointStore} adds recovery.
 *
 * All bookkeeping happens synchronously when a method is called, before any discard is awaited, so concurrent
 * calls see each other's effects in call order.
 */
export class StandaloneCompletedCheckpointStore implements CompletedCheckpointStore {
  readonly maxRetained: number;
  private readonly discarder: CompletedCheckpointDiscarder;
  private readonly onDiscardFailure: (failure: CompletedCheckpointDiscardFailure) => void;
  /** Checkpoints and savepoints, ascending by id. */
  private readonly retained: CompletedCheckpoint[] = [];
  private shutDownWith: JobStatus | null = null;

  /** @throws InvalidOptionError naming `maxRetained` when it is not an integer of at least 1. */
  constructor(options: CompletedCheckpointStoreOptions) {
    if (!Number.isSafeInteger(options.maxRetained) || options.maxRetained < 1) {
      throw new InvalidOptionError('CompletedCheckpointStoreOptions.maxRetained', `must be an integer of at least 1, got ${options.maxRetained}`);
    }
    this.maxRetained = options.maxRetained;
    this.discarder = options.discarder ?? keepEverything;
    const logger = validateLogger(options.logger, 'CompletedCheckpointStoreOptions.logger');
    this.onDiscardFailure = options.onDiscardFailure ?? ((failure) => warnAboutDiscardFailure(failure, logger));
  }

  /**
   * Adds a checkpoint and resolves to the checkpoints it subsumed, oldest first, after discarding them in that order.
   * Rejects with {@link CheckpointIdOrderError} when the id is already retained, or when a checkpoint's id is not greater
   * than the latest retained checkpoint's (a savepoint may complete after a later checkpoint), and with
   * {@link CheckpointStoreShutDownError} after shutdown; both leave the retained checkpoints as they were and leave the
   * rejected checkpoint's state to the caller, which discards it like any checkpoint that did not complete (the store
   * cannot know whether a checkpoint still in flight carries some of its files).
   */
  async addCheckpointAndSubsumeOldestOne(checkpoint: CompletedCheckpoint): Promise<readonly CompletedCheckpoint[]> {
    if (this.shutDownWith !== null) throw new CheckpointStoreShutDownError(checkpoint.checkpointId, this.shutDownWith);
    // Checkpoints form the subsumption chain and must come in id order; a savepoint stands beside it and may complete
    // after a later checkpoint. No id may be retained twice.
    const sameId = this.retained.find((retained) => retained.checkpointId === checkpoint.checkpointId);
    const latestCheckpoint = this.retained.findLast((retained) => !isSavepoint(retained));
    const outOfOrder = !isSavepoint(checkpoint) && latestCheckpoint !== undefined && checkpoint.checkpointId <= latestCheckpoint.checkpointId;
    if (sameId !== undefined || outOfOrder) {
      throw new CheckpointIdOrderError(checkpoint.jobId, checkpoint.checkpointId, (sameId ?? latestCheckpoint as CompletedCheckpoint).checkpointId);
    }
    const position = this.retained.findIndex((retained) => retained.checkpointId > checkpoint.checkpointId);
    if (position === -1) this.retained.push(checkpoint);
    else this.retained.splice(position, 0, checkpoint);
    const subsumed = this.subsumeBeyondMaxRetained();
    await this.discardEach(subsumed, 'subsumed');
    return Object.freeze(subsumed);
  }

  getLatestCheckpoint(): CompletedCheckpoint | null {
    return this.retained.at(-1) ?? null;
  }

  getAllCheckpoints(): readonly CompletedCheckpoint[] {
    return Object.freeze([...this.retained]);
  }

  getNumberOfRetainedCheckpoints(): number {
    return this.retained.filter((checkpoint) => !isSavepoint(checkpoint)).length;
  }

  /**
   * Lets go of everything. A globally terminal status discards (oldest first, cause `shutdown`) each checkpoint whose
   * retention does not keep it for that status; SUSPENDED and RUNNING keep all, savepoints are always kept.
   * A second shutdown does nothing.
   */
  async shutdown(jobStatus: JobStatus): Promise<void> {
    if (this.shutDownWith !== null) return;
    this.shutDownWith = jobStatus;
    const released = this.retained.splice(0);
    if (!isGloballyTerminal(jobStatus)) return;
    await this.discardEach(
      released.filter((checkpoint) => !isSavepoint(checkpoint) && !isKeptAfter(checkpoint.properties.retention, jobStatus)),
      'shutdown',
    );
  }

  /**
   * Takes over checkpoints recovered from durable storage, ascending by id, into an empty store and returns those
   * beyond `maxRetained` (oldest first), which the caller must discard as subsumed.
   */
  protected retainRecovered(recovered: readonly CompletedCheckpoint[]): CompletedCheckpoint[] {
    this.retained.push(...[...recovered].sort((a, b) => a.checkpointId - b.checkpointId));
    return this.subsumeBeyondMaxRetained();
  }

  /** Discards one checkpoint after another; a discard that throws or rejects is reported and does not stop the rest. */
  protected discardEach(checkpoints: readonly CompletedCheckpoint[], cause: DiscardCause): Promise<void> {
    return discardEach(this.discarder, checkpoints, cause, this.onDiscardFailure);
  }

  private subsumeBeyondMaxRetained(): CompletedCheckpoint[] {
    const subsumed: CompletedCheckpoint[] = [];
    let excess = this.getNumberOfRetainedCheckpoints() - this.maxRetained;
    for (let index = 0; excess > 0 && index < this.retained.length; ) {
      const checkpoint = this.retained[index];
      if (checkpoint !== undefined && !isSavepoint(checkpoint)) {
        subsumed.push(checkpoint);
        this.retained.splice(index, 1);
        excess--;
      } else index++;
    }
    return subsumed;
  }
}

function isSavepoint(checkpoint: CompletedCheckpoint): boolean {
  return checkpoint.properties.type === CheckpointType.SAVEPOINT;
}

/** Whether a checkpoint's retention keeps it when the job ends globally with `status`. */
function isKeptAfter(retention: CheckpointRetention, status: JobStatus): boolean {
  switch (retention) {
    case CheckpointRetention.NEVER_RETAIN_AFTER_TERMINATION:
      return false;
    case CheckpointRetention.RETAIN_ON_CANCELLATION:
      return status === JobStatus.CANCELED || status === JobStatus.FAILED;
    case CheckpointRetention.RETAIN_ON_FAILURE:
      return status === JobStatus.FAILED;
  }
}

/** The default report of a failed discard: a warning to `logger` (code NACT_CHECKPOINT_DISCARD_FAILED). */
export function warnAboutDiscardFailure({ checkpoint, cause, error }: CompletedCheckpointDiscardFailure, logger: Logger = defaultLogger): void {
  const reason = errorMessage(error);
  logSafely(logger, LogLevel.WARN, { code: 'NACT_CHECKPOINT_DISCARD_FAILED', jobId: checkpoint.jobId, checkpointId: checkpoint.checkpointId, cause },
    `discarding checkpoint ${checkpoint.checkpointId} of job ${checkpoint.jobId} (${cause}) failed: ${reason}; its files stay until 'nact-checkpoint gc' removes them`);
}
