import { InvalidOptionError } from '../core/invalid-option-error.js';
import { LogLevel, logSafely, validateLogger, type Logger } from '../core/logger.js';
import type { Clock } from '../actor/clock.js';
import type { CheckpointId, JobId } from '../core/ids.js';
import type { CheckpointStorage } from './checkpoint-storage.js';
import { storageLayout } from './storage-layout.js';
import type { StreamStateHandle } from '../state/state-handles.js';

/** The deletions a discarder performs; a CheckpointStorage provides both. */
export type StateDeleter = Pick<CheckpointStorage, 'deleteFile' | 'discardCheckpointDirectory'>;

/** What a discard removes. */
export const DiscardTarget = {
  FILE: 'file',
  CHECKPOINT_DIRECTORY: 'checkpoint-directory',
} as const;
export type DiscardTarget = (typeof DiscardTarget)[keyof typeof DiscardTarget];

/** A deletion that failed on every attempt. The file or directory is still in storage; an audit may retry it. */
export interface DiscardFailure {
  readonly target: DiscardTarget;
  /** The file, or the checkpoint directory (`<jobId>/chk-<id>`), relative to the storage base. */
  readonly path: string;
  readonly attempts: number;
  /** The error of the last attempt. */
  readonly lastError: Error;
  /** Clock time at which the last attempt failed. */
  readonly failedAt: number;
}

/** Tuning of an {@link AsyncStateDiscarder}; every field has a default. */
export interface AsyncStateDiscarderOptions {
  /** Attempts per deletion before it is reported as failed; default 5. */
  readonly maxAttempts?: number;
  /** Delay before the first retry, doubling with each further retry; default 100 ms. */
  readonly retryDelayMs?: number;
  /** Deletions running at the same time; default 4. */
  readonly maxConcurrent?: number;
  /** Called once for each deletion that finally failed, after it was added to `failures()` and logged. Exceptions it throws are ignored. */
  readonly onFailure?: (failure: DiscardFailure) => void;
  /** Where each final failure is logged (warn). Default: quiet unless `NODE_DEBUG=nact-checkpoint`. */
  readonly logger?: Logger;
}

interface DiscardJob {
  readonly id: string;
  readonly target: DiscardTarget;
  readonly path: string;
  readonly run: () => Promise<void>;
  /** Runs once the deletion succeeded; never after a final failure. */
  readonly then: (() => void) | null;
  attempts: number;
}

/**
 * Deletes discarded state off the coordinator's mailbox: the coordinator (or the SharedStateRegistry's discard
 * callback) enqueues a deletion and goes on; deletions run with bounded concurrency and are retried with
 * doubling delays on the injected clock. A deletion that fails on every attempt is kept in `failures()` and
 * reported to `onFailure`, never dropped. The same file or directory queued twice while pending is deleted once.
 */
export class AsyncStateDiscarder {
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly maxConcurrent: number;
  private readonly onFailure: (failure: DiscardFailure) => void;
  private readonly logger: Logger;
  private readonly queue: DiscardJob[] = [];
  private queueHead = 0;
  // Ids of every job that is queued, running or waiting for a retry.
  private readonly pending = new Set<string>();
  private running = 0;
  private readonly finalFailures: DiscardFailure[] = [];
  private idleWaiters: Array<() => void> = [];

  /** Throws InvalidOptionError naming the option when `maxAttempts` or `maxConcurrent` is not a positive integer or `retryDelayMs` is negative. */
  constructor(
    private readonly deleter: StateDeleter,
    private readonly clock: Clock,
    options: AsyncStateDiscarderOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 100;
    this.maxConcurrent = options.maxConcurrent ?? 4;
    this.onFailure = options.onFailure ?? (() => undefined);
    this.logger = validateLogger(options.logger, 'AsyncStateDiscarderOptions.logger');
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new InvalidOptionError('AsyncStateDiscarderOptions.maxAttempts', `must be an integer of at least 1, got ${this.maxAttempts}`);
    }
    if (!Number.isFinite(this.retryDelayMs) || this.retryDelayMs < 0) {
      throw new InvalidOptionError('AsyncStateDiscarderOptions.retryDelayMs', `must be a finite number of at least 0, got ${this.retryDelayMs}`);
    }
    if (!Number.isInteger(this.maxConcurrent) || this.maxConcurrent < 1) {
      throw new InvalidOptionError('AsyncStateDiscarderOptions.maxConcurrent', `must be an integer of at least 1, got ${this.maxConcurrent}`);
    }
  }

  /** Queues the deletion of a file (a path relative to the storage base). */
  discardFile(path: string): void {
    this.enqueue(`file:${path}`, DiscardTarget.FILE, path, () => this.deleter.deleteFile(path), null);
  }

  /**
   * Queues the deletion of a file and runs `then` once it is gone, never when the deletion finally fails: for
   * deletions that must happen in order, such as a checkpoint's `_metadata` before the files it references, so that
   * a crash in between leaves orphans for an audit rather than metadata whose files are gone. The work `then` starts
   * counts as pending from now on. A file already queued is not queued twice, and then `then` does not run.
   */
  discardFileThen(path: string, then: () => void): void {
    this.enqueue(`file:${path}`, DiscardTarget.FILE, path, () => this.deleter.deleteFile(path), then);
  }

  /** Queues the deletion of the handle's file; inline bytes live in the metadata and need nothing. */
  discardHandle(handle: StreamStateHandle): void {
    if (handle.kind === 'file') this.discardFile(handle.path);
  }

  /** Queues the removal of `<jobId>/chk-<id>/` with everything in it. */
  discardCheckpointDirectory(jobId: JobId, checkpointId: CheckpointId): void {
    const path = storageLayout.checkpointDirectory(jobId, checkpointId);
    this.enqueue(`directory:${path}`, DiscardTarget.CHECKPOINT_DIRECTORY, path, () => this.deleter.discardCheckpointDirectory(jobId, checkpointId), null);
  }

  /** Deletions queued, running or waiting for a retry. The coordinator refuses triggers while this is too high. */
  pendingCount(): number {
    return this.pending.size;
  }

  /** Every deletion that failed on all its attempts, oldest first. */
  failures(): readonly DiscardFailure[] {
    return this.finalFailures.slice();
  }

  /** Resolves once nothing is queued, running or waiting for a retry (a retry waits for the clock to move). */
  whenIdle(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private enqueue(id: string, target: DiscardTarget, path: string, run: () => Promise<void>, then: (() => void) | null): void {
    if (this.pending.has(id)) return;
    this.pending.add(id);
    this.queue.push({ id, target, path, run, then, attempts: 0 });
    this.pump();
  }

  private pump(): void {
    while (this.running < this.maxConcurrent && this.queueHead < this.queue.length) {
      const job = this.queue[this.queueHead] as DiscardJob;
      this.queueHead++;
      void this.attempt(job);
    }
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    }
  }

  private async attempt(job: DiscardJob): Promise<void> {
    this.running++;
    job.attempts++;
    let failure: Error | null = null;
    try {
      await job.run();
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    this.running--;
    if (failure === null) {
      // What follows the deletion is queued before this job leaves `pending`, so whenIdle() also waits for it.
      try {
        job.then?.();
      } catch {
        // A failing follow-up must not stop the discarder; it queues deletions, each of which reports its own failure.
      }
      this.finish(job);
    }
    else if (job.attempts < this.maxAttempts) this.retryLater(job);
    else this.giveUp(job, failure);
    this.pump();
  }

  private retryLater(job: DiscardJob): void {
    const delay = this.retryDelayMs * 2 ** (job.attempts - 1);
    this.clock.schedule(delay, () => {
      this.queue.push(job);
      this.pump();
    });
  }

  private giveUp(job: DiscardJob, lastError: Error): void {
    const failure: DiscardFailure = { target: job.target, path: job.path, attempts: job.attempts, lastError, failedAt: this.clock.now() };
    this.finalFailures.push(failure);
    logSafely(this.logger, LogLevel.WARN, { code: 'NACT_CHECKPOINT_STATE_DISCARD_FAILED', target: job.target, path: job.path, attempts: job.attempts },
      `deleting ${job.path} failed ${job.attempts} time(s), last: ${lastError.message}; it stays until 'nact-checkpoint gc' removes it`);
    try {
      this.onFailure(failure);
    } catch {
      // The failure is already in failures(); a broken listener must not stop the discarder.
    }
    this.finish(job);
  }

  private finish(job: DiscardJob): void {
    this.pending.delete(job.id);
    if (this.pending.size > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
