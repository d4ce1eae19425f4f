import type { Clock } from '../actor/clock.js';
import { systemClock } from '../actor/clock.js';
import { asJobId } from '../core/ids.js';
import { LogLevel, logSafely, validateLogger, type Logger } from '../core/logger.js';
import type { CheckpointIDCounter } from '../checkpoint/checkpoint-id-counter.js';
import { DefaultCompletedCheckpointStore } from './default-completed-checkpoint-store.js';
import { warnAboutDiscardFailure, type CompletedCheckpointDiscardFailure } from '../checkpoint/standalone-completed-checkpoint-store.js';
import { AsyncStateDiscarder, type AsyncStateDiscarderOptions, type DiscardFailure } from '../storage/state-discarder.js';
import type { CheckpointStorage } from '../storage/checkpoint-storage.js';
import { AuditSubject, removeOrphans, verifyCheckpoints } from '../storage/checkpoint-audit.js';
import { DefaultCheckpointStateCleaner } from './default-checkpoint-state-cleaner.js';

/** What {@link prepareCheckpointing} needs. */
export interface CheckpointingSetupOptions {
  readonly jobId: string;
  readonly storage: CheckpointStorage;
  /** Completed checkpoints to retain. Default 1. */
  readonly retained?: number;
  readonly clock?: Clock;
  /** Retry tuning and failure reporting of state deletions. */
  readonly discarding?: AsyncStateDiscarderOptions;
  /**
   * Delete files under `shared/` and `chk-*` that no recovered checkpoint references: uploads of checkpoints that
   * were in flight when the previous coordinator stopped (FLINK-30461). Only safe while no other coordinator of the
   * job is running. Default true.
   */
  readonly removeOrphans?: boolean;
  /**
   * Where recovery, failed deletions and failed discards are logged; also handed on to the coordinator when the setup is
   * spread into its options. Default: quiet unless `NODE_DEBUG=nact-checkpoint`.
   */
  readonly logger?: Logger;
}

/** The durable pieces to hand to `spawnCheckpointCoordinator` (spread them into its options). */
export interface CheckpointingSetup {
  readonly storage: CheckpointStorage;
  readonly store: DefaultCompletedCheckpointStore;
  readonly stateCleaner: DefaultCheckpointStateCleaner;
  readonly discarder: AsyncStateDiscarder;
  /**
   * Where checkpoint ids come from: a FileSystemCheckpointIDCounter for filesystem storage (ids never reused across
   * restarts), a StandaloneCheckpointIDCounter otherwise (ids continue after the latest retained checkpoint).
   */
  readonly idCounter: CheckpointIDCounter;
  /** Deletions that failed on every attempt. */
  readonly discardFailures: () => readonly DiscardFailure[];
  /** Completed checkpoints whose release (unregistering shared state, queueing deletions) threw; also a process warning. */
  readonly completedCheckpointDiscardFailures: () => readonly CompletedCheckpointDiscardFailure[];
  /** Files removed as orphans during recovery. */
  readonly orphansRemoved: readonly string[];
  /** The `logger` option, when one was given, so spreading the setup into the coordinator's options logs there too. */
  readonly logger?: Logger;
}

/** The discarder of the latest setup of each job (by storage and job id) prepared in this process. */
const discardersByJob = new Map<string, AsyncStateDiscarder>();

/**
 * Recovers a job's completed checkpoints from storage and wires the store, shared state registry and discarder
 * together, so that a coordinator spawned with the result continues where the previous one stopped: same retained
 * checkpoints, their shared state registered again (seed 002, FLINK-6964), ids continuing after the latest.
 * When this process prepared the same job before, it first waits until that setup's deletions have finished
 * (`discarder.whenIdle()`; a failed deletion is retried on that setup's clock).
 *
 * @throws CorruptStateError (or an error naming the file) when a metadata file cannot be verified, and an error
 *   naming every missing or corrupt file when a recovered checkpoint references damaged state.
 */
export async function prepareCheckpointing(options: CheckpointingSetupOptions): Promise<CheckpointingSetup> {
  // An earlier setup of this job in this process may still be deleting, e.g. the directories of checkpoints that were
  // in flight when its coordinator shut down. The new coordinator reuses those ids (they continue after the latest
  // retained checkpoint), so such a late deletion would remove a new checkpoint's metadata: let them finish first.
  const jobKey = `${options.storage.description}\n${options.jobId}`;
  await discardersByJob.get(jobKey)?.whenIdle();
  const logger = validateLogger(options.logger, 'CheckpointingSetupOptions.logger');
  const discarder = new AsyncStateDiscarder(options.storage, options.clock ?? systemClock, { logger, ...options.discarding });
  discardersByJob.set(jobKey, discarder);
  const stateCleaner = new DefaultCheckpointStateCleaner(discarder);
  const completedCheckpointDiscardFailures: CompletedCheckpointDiscardFailure[] = [];
  const store = await DefaultCompletedCheckpointStore.recover({
    jobId: asJobId(options.jobId),
    storage: options.storage,
    maxRetained: options.retained ?? 1,
    discarder: stateCleaner,
    onDiscardFailure: (failure) => {
      completedCheckpointDiscardFailures.push(failure);
      warnAboutDiscardFailure(failure, logger);
    },
    onRecovered: (checkpoints) => stateCleaner.registerRecovered(checkpoints),
  });
  const jobId = asJobId(options.jobId);
  const idCounter = await options.storage.openIdCounter(jobId);
  let orphansRemoved: readonly string[] = [];
  if (options.removeOrphans ?? true) {
    await discarder.whenIdle();
    const report = await verifyCheckpoints({ jobId: asJobId(options.jobId), storage: options.storage, checkpoints: store.getAllCheckpoints() });
    // A counter behind the retained checkpoints is moved past them when the coordinator restores; damaged state is not.
    const damage = [...report.missing, ...report.corrupt].filter((problem) => problem.subject !== AuditSubject.ID_COUNTER);
    if (damage.length > 0) {
      const problems = damage.map((problem) => `${problem.path}: ${problem.problem}`).join('; ');
      throw new Error(`recovered checkpoints of job ${options.jobId} in ${options.storage.description} are damaged: ${problems}`);
    }
    orphansRemoved = (await removeOrphans(report, options.storage)).removed;
  }
  const latest = store.getLatestCheckpoint();
  logSafely(logger, LogLevel.INFO, { jobId, recovered: store.getNumberOfRetainedCheckpoints(), latestCheckpointId: latest?.checkpointId ?? null, orphansRemoved: orphansRemoved.length },
    `job ${jobId}: recovered ${store.getNumberOfRetainedCheckpoints()} checkpoint(s) from ${options.storage.description}${latest === null ? '' : ` (latest ${latest.checkpointId})`}, removed ${orphansRemoved.length} orphan file(s)`);
  const setup = { storage: options.storage, store, stateCleaner, discarder, idCounter, discardFailures: () => discarder.failures(), completedCheckpointDiscardFailures: () => [...completedCheckpointDiscardFailures], orphansRemoved };
  return options.logger === undefined ? setup : { ...setup, logger: options.logger };
}
