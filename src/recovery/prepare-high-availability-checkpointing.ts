import { systemClock, type Clock } from '../actor/clock.js';
import { CheckpointRetention } from '../checkpoint/checkpoint-properties.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import { warnAboutDiscardFailure, type CompletedCheckpointDiscardFailure } from '../checkpoint/standalone-completed-checkpoint-store.js';
import { errorMessage } from '../core/error-message.js';
import { validateLogger, type Logger } from '../core/logger.js';
import { asJobId, type JobId } from '../core/ids.js';
import type { CheckpointRecoveryFactory } from '../ha/checkpoint-recovery-factory.js';
import type { FencedCheckpointIDCounter } from '../ha/fenced-checkpoint-id-counter.js';
import type { FencedCompletedCheckpointStore } from '../ha/fenced-completed-checkpoint-store.js';
import type { LeaderSession } from '../ha/leader-session.js';
import { readRestorePoint } from '../savepoint/restore-point.js';
import type { RestorePointKind } from '../savepoint/restore-point-kind.js';
import { AuditSubject, removeOrphans, verifyCheckpoints } from '../storage/checkpoint-audit.js';
import type { CheckpointStorage } from '../storage/checkpoint-storage.js';
import { checkStoredCheckpoint } from '../storage/completed-checkpoint-shape.js';
import { OrphanRemovalRefusedError } from '../storage/orphan-removal-refused-error.js';
import { AsyncStateDiscarder, type AsyncStateDiscarderOptions, type DiscardFailure } from '../storage/state-discarder.js';
import { storageLayout } from '../storage/storage-layout.js';
import { DefaultCheckpointStateCleaner } from './default-checkpoint-state-cleaner.js';
import { highestStoredCheckpointId } from './highest-stored-checkpoint-id.js';
import { RestoreMode } from './restore-mode.js';
import { restorePointRecord } from './restore-point-record.js';

/** A savepoint or retained checkpoint to start the job from, when its store holds nothing yet. */
export interface RestoreSettings {
  /** The savepoint directory, the retained checkpoint's `chk-<id>` directory, or either one's `_metadata`. */
  readonly path: string;
  /** Default no-claim: the job never deletes it. */
  readonly mode?: RestoreMode;
}

/** What {@link prepareHighAvailabilityCheckpointing} needs. */
export interface HighAvailabilityCheckpointingOptions {
  readonly jobId: string;
  /**
   * Where the job's checkpoints are written. To restore from outside it (a savepoint directory, another storage base),
   * give an ExternalPathStorage, which also reaches files by absolute path.
   */
  readonly storage: CheckpointStorage;
  /** The job's id counter and completed checkpoint store in the high-availability services. */
  readonly recovery: CheckpointRecoveryFactory;
  /** The leadership every write carries. */
  readonly session: LeaderSession;
  /** Completed checkpoints to retain. Default 1. */
  readonly retained?: number;
  /** The retention of the checkpoint a `claim` restore adopts. Default never-retain-after-termination. */
  readonly retention?: CheckpointRetention;
  readonly clock?: Clock;
  /** Retry tuning and failure reporting of state deletions. */
  readonly discarding?: AsyncStateDiscarderOptions;
  /**
   * Delete what this run of the job left unreferenced under `shared/` and `chk-*` (uploads of checkpoints in flight when
   * the previous leader stopped, FLINK-30461). Only the leader sweeps, and it checks its leadership (a fenced write)
   * after listing and before deleting anything. Default true.
   */
  readonly removeOrphans?: boolean;
  /**
   * The first checkpoint id of this run of the job. `chk-<id>` directories below it belong to earlier runs: retained
   * checkpoints a user may restore from. They, and every file their metadata references, are never swept. Default 1
   * (the whole directory is this run's).
   */
  readonly ownCheckpointsFrom?: number;
  /** Start from this savepoint or retained checkpoint when the store holds no checkpoint yet (a first start). */
  readonly restoreFrom?: RestoreSettings;
  /** The storage's base directory, against which a retained checkpoint's paths are resolved. Default: `storage.baseDirectory`. */
  readonly storageBase?: string;
  /** Where the discarder and the store log. Default: quiet unless `NODE_DEBUG=nact-checkpoint`. */
  readonly logger?: Logger;
}

/** The restore point a first start adopted. */
export interface AdoptedRestorePoint {
  readonly kind: RestorePointKind;
  readonly mode: RestoreMode;
  /** Its metadata file. */
  readonly metadataPath: string;
  readonly checkpointId: number;
}

/** The durable pieces to hand to `spawnCheckpointCoordinator` (spread `storage`, `store`, `idCounter`, `stateCleaner`). */
export interface HighAvailabilityCheckpointingSetup {
  readonly storage: CheckpointStorage;
  readonly store: FencedCompletedCheckpointStore;
  readonly idCounter: FencedCheckpointIDCounter;
  readonly stateCleaner: DefaultCheckpointStateCleaner;
  readonly discarder: AsyncStateDiscarder;
  /** The restore point adopted now (a first start with `restoreFrom`), or null. */
  readonly restoredFrom: AdoptedRestorePoint | null;
  /** Files removed as orphans. */
  readonly orphansRemoved: readonly string[];
  /** Why no orphan was removed although `removeOrphans` was on (an earlier run's metadata is unreadable), or null. */
  readonly sweepSkipped: string | null;
  /** Deletions that failed on every attempt. */
  readonly discardFailures: () => readonly DiscardFailure[];
  /** Completed checkpoints whose release threw; also a process warning. */
  readonly completedCheckpointDiscardFailures: () => readonly CompletedCheckpointDiscardFailure[];
}

/** The discarder of the latest setup of each job (by storage and job id) prepared in this process. */
const discardersByJob = new Map<string, AsyncStateDiscarder>();

/**
 * The high-availability counterpart of `prepareCheckpointing`, for the leader of a job: recovers the job's completed
 * checkpoints from the HA services with their shared state registered again before anything can be discarded (seed 002),
 * adopts the savepoint or retained checkpoint the job starts from (first start only), moves the fenced id counter above
 * every id retained, restored or found as a `chk-<id>` in storage, and sweeps what this run of the job left unreferenced.
 * When this process prepared the same job before, it first waits until that setup's deletions have finished.
 *
 * @throws StaleLeaderError when `session` is no longer current (nothing was deleted); CorruptStateError naming an
 *   unreadable HA entry or restore point; RestorePointNotFoundError; an Error naming every missing or corrupt file of
 *   a recovered checkpoint; HighAvailabilityStorageError.
 */
export async function prepareHighAvailabilityCheckpointing(options: HighAvailabilityCheckpointingOptions): Promise<HighAvailabilityCheckpointingSetup> {
  const jobId = asJobId(options.jobId);
  const { storage, session } = options;
  const jobKey = `${storage.description}\n${jobId}`;
  await discardersByJob.get(jobKey)?.whenIdle();
  const logger = validateLogger(options.logger, 'HighAvailabilityCheckpointingOptions.logger');
  const discarder = new AsyncStateDiscarder(storage, options.clock ?? systemClock, { logger, ...options.discarding });
  discardersByJob.set(jobKey, discarder);
  const stateCleaner = new DefaultCheckpointStateCleaner(discarder);
  const completedCheckpointDiscardFailures: CompletedCheckpointDiscardFailure[] = [];
  const store = await options.recovery.createCompletedCheckpointStore({
    session,
    maxRetained: options.retained ?? 1,
    discarder: stateCleaner,
    logger,
    onDiscardFailure: (failure) => {
      completedCheckpointDiscardFailures.push(failure);
      warnAboutDiscardFailure(failure, logger);
    },
    onRecovered: (checkpoints) => stateCleaner.registerRecovered(checkpoints),
  });
  const idCounter = options.recovery.createCheckpointIDCounter(session);

  let restoredFrom: AdoptedRestorePoint | null = null;
  if (options.restoreFrom !== undefined && store.getAllCheckpoints().length === 0 && store.pinnedCheckpoints().length === 0) {
    const mode = options.restoreFrom.mode ?? RestoreMode.NO_CLAIM;
    const point = await readRestorePoint(options.restoreFrom.path, storageBaseOf(options));
    const record = restorePointRecord(point, jobId, mode, options.retention ?? CheckpointRetention.NEVER_RETAIN_AFTER_TERMINATION);
    stateCleaner.registerRecovered([record]);
    await store.addCheckpointAndSubsumeOldestOne(record);
    restoredFrom = { kind: point.kind, mode, metadataPath: point.metadataPath, checkpointId: record.checkpointId };
  }

  const own = [...store.getAllCheckpoints(), ...store.pinnedCheckpoints()];
  const highest = Math.max(0, ...own.map((checkpoint) => checkpoint.checkpointId), await highestStoredCheckpointId(storage, jobId));
  let orphansRemoved: readonly string[] = [];
  let sweepSkipped: string | null = null;
  if (options.removeOrphans ?? true) {
    await discarder.whenIdle();
    const earlier = await earlierRunsCheckpoints(storage, jobId, options.ownCheckpointsFrom ?? 1, own);
    const ownIds = new Set<number>(own.map((checkpoint) => checkpoint.checkpointId));
    const report = await verifyCheckpoints({ jobId, storage, checkpoints: [...own, ...earlier.readable].map((checkpoint) => forAudit(checkpoint, jobId)) });
    const damage = [...report.missing, ...report.corrupt].filter((problem) => problem.subject !== AuditSubject.ID_COUNTER && problem.checkpointIds.some((id) => ownIds.has(id)));
    if (damage.length > 0) {
      const problems = damage.map((problem) => `${problem.path}: ${problem.problem}`).join('; ');
      throw new Error(`recovered checkpoints of job ${jobId} in ${storage.description} are damaged: ${problems}`);
    }
    // Listing happened above; a fenced write now proves this contender still leads, so nothing listed can be an upload of
    // a newer leader (which only starts writing after a takeover that would make this write fail).
    await advance(idCounter, highest);
    if (earlier.unreadable.length > 0) {
      sweepSkipped = `metadata of earlier runs of the job cannot be read (${earlier.unreadable.join('; ')}): what they reference is unknown, so nothing was swept`;
    } else {
      try {
        orphansRemoved = (await removeOrphans(report, storage)).removed;
      } catch (error) {
        if (!(error instanceof OrphanRemovalRefusedError)) throw error;
        sweepSkipped = errorMessage(error);
      }
    }
  } else {
    await advance(idCounter, highest);
  }
  return {
    storage, store, idCounter, stateCleaner, discarder, restoredFrom, orphansRemoved, sweepSkipped,
    discardFailures: () => discarder.failures(),
    completedCheckpointDiscardFailures: () => [...completedCheckpointDiscardFailures],
  };
}

/** Moves the counter above `highest` (never backwards): a fenced write even when it does not move. */
async function advance(idCounter: FencedCheckpointIDCounter, highest: number): Promise<void> {
  await idCounter.setCount(Math.max(await idCounter.get(), highest + 1));
}

/** Checkpoints of earlier runs whose metadata is in the job's directory (ids below `ownFrom`, not the job's own). */
async function earlierRunsCheckpoints(
  storage: CheckpointStorage,
  jobId: JobId,
  ownFrom: number,
  own: readonly CompletedCheckpoint[],
): Promise<{ readonly readable: CompletedCheckpoint[]; readonly unreadable: string[] }> {
  const ownIds = new Set<number>(own.map((checkpoint) => checkpoint.checkpointId));
  const readable: CompletedCheckpoint[] = [];
  const unreadable: string[] = [];
  for (const pointer of await storage.listMetadata(jobId)) {
    const id = storageLayout.checkpointIdOf(pointer);
    if (id === null || id >= ownFrom || ownIds.has(id)) continue;
    try {
      readable.push(checkStoredCheckpoint(await storage.readMetadata(pointer), pointer, jobId));
    } catch (error) {
      unreadable.push(`${pointer}: ${errorMessage(error)}`);
    }
  }
  return { readable, unreadable };
}

/** The audit reads the metadata of the job's own layout; a restore point's metadata lies elsewhere and is not read. */
function forAudit(checkpoint: CompletedCheckpoint, jobId: JobId): CompletedCheckpoint {
  return checkpoint.externalPointer === storageLayout.metadataFile(jobId, checkpoint.checkpointId) ? checkpoint : { ...checkpoint, externalPointer: null };
}

function storageBaseOf(options: HighAvailabilityCheckpointingOptions): string {
  if (options.storageBase !== undefined) return options.storageBase;
  const base = (options.storage as CheckpointStorage & { readonly baseDirectory?: unknown }).baseDirectory;
  if (typeof base !== 'string') {
    throw new Error(`restoring job ${options.jobId} from ${options.restoreFrom?.path ?? 'a path'} needs the base directory of its checkpoint storage (${options.storage.description}): pass storageBase`);
  }
  return base;
}
