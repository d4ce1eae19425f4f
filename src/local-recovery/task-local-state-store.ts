import { readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { validateLogger, type Logger } from '../core/logger.js';
import { dirname, join, resolve } from 'node:path';
import { errorMessage } from '../core/error-message.js';
import { asCheckpointId, asJobId, asTaskId, type CheckpointId, type JobId, type TaskId } from '../core/ids.js';
import { InvalidOptionError } from '../core/invalid-option-error.js';
import { isPathSafeId } from '../core/path-safe-id.js';
import type { FileStateHandle, KeyedStateHandle, TaskStateSnapshot } from '../state/state-handles.js';
import { matchTaskLocalCopies, type TaskLocalCopySource } from '../backend/task-local-copies.js';
import type { TaskLocalWriteFailure } from '../backend/task-local-write-failure.js';
import { ensureDirectory, isTemporaryFileName, writeFileAtomically } from '../storage/atomic-file-writer.js';
import { TaskLocalDirectoryStorage } from './task-local-directory-storage.js';
import { checkpointDirectoryName, checkpointIdOfDirectory, TASK_LOCAL_MANIFEST_NAME } from './task-local-layout.js';
import { decodeTaskLocalStateManifest, encodeTaskLocalStateManifest } from './task-local-state-manifest.js';
import { TaskLocalStateProblemKind, warnAboutTaskLocalStateProblem, type TaskLocalStateProblem } from './task-local-state-problem.js';
import { TaskLocalStateStoreDisposedError } from './task-local-state-store-disposed-error.js';

/** Configuration of a {@link TaskLocalStateStore}. */
export interface TaskLocalStateStoreOptions {
  /** The machine's local recovery root; the task's copies go under `<localRootDirectory>/<jobId>/<taskId>/chk-<id>/`. */
  readonly localRootDirectory: string;
  readonly jobId: string;
  readonly taskId: string;
  /** Told about every problem (after it is counted). Default: a warning to `logger` (`NACT_CHECKPOINT_TASK_LOCAL_STATE`). */
  readonly onProblem?: (problem: TaskLocalStateProblem) => void;
  /** Where the default `onProblem` reports. Default: quiet unless `NODE_DEBUG=nact-checkpoint`. */
  readonly logger?: Logger;
}

const FIELD = 'TaskLocalStateStoreOptions';

/**
 * The task-local copies of one task's checkpoints (Flink's TaskLocalStateStore): a directory per checkpoint on the
 * task's own disk, next to the durable copy the coordinator owns, so that a task restarted on the same machine
 * restores without reading remote storage. A snapshot writes its local files through {@link snapshotStorage};
 * {@link storeLocalState} then records the copy with a verified manifest. A completed checkpoint drops every older
 * copy, an aborted one drops its own, and a store opened over the same directory after a process restart finds the
 * copies again. Nothing here fails a checkpoint or a restore: problems are counted, reported, and cost only the
 * local copy.
 *
 * Operations run one after another in call order. One store per task directory and process.
 */
export class TaskLocalStateStore {
  /** Where the task's local copies live: `<localRootDirectory>/<jobId>/<taskId>`. */
  readonly directory: string;
  readonly jobId: JobId;
  readonly taskId: TaskId;
  /** Give this to the task's HeapKeyedStateBackend as `taskLocalStorage`. */
  readonly snapshotStorage: TaskLocalDirectoryStorage;

  private readonly stored = new Map<number, TaskStateSnapshot>();
  private readonly aborted = new Set<number>();
  private readonly counts: Record<TaskLocalStateProblemKind, number> = {
    'write-failed': 0, 'store-failed': 0, 'local-copy-rejected': 0, 'manifest-unreadable': 0, 'discard-failed': 0,
  };
  private readonly onProblem: (problem: TaskLocalStateProblem) => void;
  private latestConfirmed = 0;
  private withoutLocalCopy = 0;
  private disposed = false;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(directory: string, jobId: JobId, taskId: TaskId, onProblem: (problem: TaskLocalStateProblem) => void) {
    this.directory = directory;
    this.jobId = jobId;
    this.taskId = taskId;
    this.onProblem = onProblem;
    this.snapshotStorage = new TaskLocalDirectoryStorage(directory);
  }

  /**
   * Opens the task's local directory, creating it when missing, and takes over the copies a previous process left:
   * each verified manifest is a stored copy again; a directory without a manifest (a copy interrupted by a crash) or
   * with a manifest that fails verification (reported) is dropped, and leftover temporary files are removed.
   * Throws {@link InvalidOptionError} naming the option when one is invalid, and rejects when the directory cannot be created.
   */
  static async open(options: TaskLocalStateStoreOptions): Promise<TaskLocalStateStore> {
    const { localRootDirectory, jobId, taskId } = options;
    if (typeof localRootDirectory !== 'string' || localRootDirectory.length === 0) {
      throw new InvalidOptionError(`${FIELD}.localRootDirectory`, `must be a non-empty directory path, got ${JSON.stringify(localRootDirectory)}`);
    }
    for (const [name, value] of [['jobId', jobId], ['taskId', taskId]] as const) {
      if (!isPathSafeId(value)) {
        throw new InvalidOptionError(`${FIELD}.${name}`, `must be letters, digits, '.', '_' or '-', starting with a letter or digit (it names a directory), got ${JSON.stringify(value)}`);
      }
    }
    if (options.onProblem !== undefined && typeof options.onProblem !== 'function') throw new InvalidOptionError(`${FIELD}.onProblem`, 'must be a function');
    const directory = join(resolve(localRootDirectory), jobId, taskId);
    const logger = validateLogger(options.logger, `${FIELD}.logger`);
    const store = new TaskLocalStateStore(directory, asJobId(jobId), asTaskId(taskId), options.onProblem ?? ((problem) => warnAboutTaskLocalStateProblem(problem, logger)));
    await ensureDirectory(directory);
    await store.recover();
    return store;
  }

  /** Checkpoint ids with a stored local copy, ascending. */
  get storedCheckpointIds(): readonly CheckpointId[] {
    return [...this.stored.keys()].sort((a, b) => a - b).map(asCheckpointId);
  }

  /** How many problems of each kind were reported since the store was opened. */
  get problemCounts(): Readonly<Record<TaskLocalStateProblemKind, number>> {
    return { ...this.counts };
  }

  /** How many checkpoints were stored without a local copy (the snapshot's local write had failed). */
  get checkpointsWithoutLocalCopy(): number {
    return this.withoutLocalCopy;
  }

  /** Pass this as the backend's `onTaskLocalWriteFailure`, so its failed local writes are counted and reported here. */
  readonly reportWriteFailure = (failure: TaskLocalWriteFailure): void => {
    this.report(TaskLocalStateProblemKind.WRITE_FAILED, failure.checkpointId,
      `the task-local copy of ${failure.file} for checkpoint ${failure.checkpointId} could not be written (${errorMessage(failure.error)}); ` +
        'the checkpoint goes on with its durable copy only', failure.error);
  };

  /**
   * Records `state` (handles to files in this checkpoint's local directory, written through {@link snapshotStorage}) as
   * the task-local copy of checkpoint `checkpointId`. Resolves true once its manifest is durable; false when there is
   * nothing to record (`state` null: the local write failed), when the checkpoint was already aborted or is older than a
   * completed one, or when a file it names is missing or the manifest write fails (reported). Never rejects for those:
   * only after {@link dispose}, with {@link TaskLocalStateStoreDisposedError}.
   */
  storeLocalState(checkpointId: CheckpointId, state: TaskStateSnapshot | null): Promise<boolean> {
    return this.serially('storeLocalState', async () => {
      if (state === null) {
        this.withoutLocalCopy += 1;
        return false;
      }
      if (this.aborted.has(checkpointId) || checkpointId < this.latestConfirmed) {
        await this.dropDirectory(checkpointId);
        return false;
      }
      const missing = await this.missingFiles(checkpointId, state);
      if (missing !== null) {
        this.report(TaskLocalStateProblemKind.STORE_FAILED, checkpointId, `the task-local copy of checkpoint ${checkpointId} is incomplete (${missing}); a restore of it will read the durable copy`, null);
        return false;
      }
      try {
        const manifest = encodeTaskLocalStateManifest({ jobId: this.jobId, taskId: this.taskId, checkpointId, state });
        await writeFileAtomically(this.manifestPath(checkpointId), manifest);
      } catch (error) {
        this.report(TaskLocalStateProblemKind.STORE_FAILED, checkpointId,
          `the task-local manifest of checkpoint ${checkpointId} could not be written (${errorMessage(error)}); a restore of it will read the durable copy`, error);
        return false;
      }
      this.stored.set(checkpointId, state);
      return true;
    });
  }

  /** The task-local copy of checkpoint `checkpointId`, or null when there is none. */
  retrieveLocalState(checkpointId: CheckpointId): Promise<TaskStateSnapshot | null> {
    return this.serially('retrieveLocalState', async () => this.stored.get(checkpointId) ?? null);
  }

  /**
   * What a restore of checkpoint `checkpointId` from `durableState` (the handles RestoreState carries) may read locally:
   * each local file that matches its durable handle (same checkpoint, key-group range, size and checksum) and verifies.
   * A local file that does not is deleted and reported as `local-copy-rejected`, and the restore reads the durable copy.
   * Pass the result to `HeapKeyedStateBackend.restore`.
   */
  localCopiesFor(checkpointId: CheckpointId, durableState: readonly KeyedStateHandle[]): Promise<TaskLocalCopySource> {
    return this.serially('localCopiesFor', async () => matchTaskLocalCopies({
      checkpointId,
      localState: this.stored.get(checkpointId)?.keyedState ?? null,
      durableState,
      storage: this.snapshotStorage,
      onRejected: ({ durable, local, reason, deleted }) => this.report(TaskLocalStateProblemKind.LOCAL_COPY_REJECTED, checkpointId,
        `the task-local copy ${local.path} of ${durable.path} was not used for the restore of checkpoint ${checkpointId} (${reason}); ` +
          `${deleted ? 'it was deleted' : 'deleting it failed'} and the durable copy was read`, null),
    }));
  }

  /**
   * Checkpoint `checkpointId` completed: the local copies of every older checkpoint (stored or not) are dropped, and
   * its own and newer ones are kept.
   */
  confirmCheckpoint(checkpointId: CheckpointId): Promise<void> {
    return this.serially('confirmCheckpoint', async () => {
      this.latestConfirmed = Math.max(this.latestConfirmed, checkpointId);
      for (const id of await this.checkpointDirectories()) if (id < checkpointId) await this.dropDirectory(id);
      for (const id of this.stored.keys()) if (id < checkpointId) this.stored.delete(id);
      for (const id of this.aborted) if (id < checkpointId) this.aborted.delete(id);
    });
  }

  /** Checkpoint `checkpointId` was aborted: its local copy and directory are dropped, and a later store of it is refused. */
  abortCheckpoint(checkpointId: CheckpointId): Promise<void> {
    return this.serially('abortCheckpoint', async () => {
      if (checkpointId >= this.latestConfirmed) this.aborted.add(checkpointId);
      await this.dropDirectory(checkpointId);
    });
  }

  /** Drops every local copy and the task's directory; the store cannot be used afterwards. Disposing twice does nothing more. */
  dispose(): Promise<void> {
    if (this.disposed) return this.chain.then(() => undefined);
    return this.serially('dispose', async () => {
      this.disposed = true;
      this.stored.clear();
      try {
        await rm(this.directory, { recursive: true, force: true });
      } catch (error) {
        this.report(TaskLocalStateProblemKind.DISCARD_FAILED, null, `the task-local directory ${this.directory} could not be deleted (${errorMessage(error)})`, error);
      }
      await rmdir(dirname(this.directory)).catch(() => undefined);
    });
  }

  private async recover(): Promise<void> {
    for (const entry of await readdir(this.directory, { withFileTypes: true })) {
      if (isTemporaryFileName(entry.name)) {
        await rm(join(this.directory, entry.name), { recursive: true, force: true });
        continue;
      }
      const id = checkpointIdOfDirectory(entry.name);
      if (id === null || !entry.isDirectory()) continue;
      const checkpointId = asCheckpointId(id);
      const path = this.manifestPath(checkpointId);
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(path));
      } catch {
        await this.dropDirectory(checkpointId);
        continue;
      }
      try {
        const manifest = decodeTaskLocalStateManifest(bytes, path);
        if (manifest.jobId !== this.jobId || manifest.taskId !== this.taskId || manifest.checkpointId !== checkpointId) {
          throw new Error(`${path}: the manifest is of job ${manifest.jobId}, task ${manifest.taskId}, checkpoint ${manifest.checkpointId}, not of the directory it lies in`);
        }
        this.stored.set(checkpointId, manifest.state);
        await this.removeTemporaryFiles(checkpointId);
      } catch (error) {
        this.report(TaskLocalStateProblemKind.MANIFEST_UNREADABLE, checkpointId,
          `the task-local copy of checkpoint ${checkpointId} was dropped: its manifest is unusable (${errorMessage(error)})`, error);
        await this.dropDirectory(checkpointId);
      }
    }
  }

  private async removeTemporaryFiles(checkpointId: CheckpointId): Promise<void> {
    const directory = join(this.directory, checkpointDirectoryName(checkpointId));
    for (const name of await readdir(directory)) if (isTemporaryFileName(name)) await rm(join(directory, name), { force: true });
  }

  /** Why `state` is not a complete copy in checkpoint `checkpointId`'s directory, or null when it is. */
  private async missingFiles(checkpointId: CheckpointId, state: TaskStateSnapshot): Promise<string | null> {
    const prefix = `${checkpointDirectoryName(checkpointId)}/`;
    for (const file of filesOf(state)) {
      if (!file.path.startsWith(prefix)) return `${file.path} lies outside ${prefix}`;
      const size = await stat(join(this.directory, ...file.path.split('/'))).then((stats) => stats.size, () => null);
      if (size === null) return `${file.path} is missing`;
      if (size !== file.size) return `${file.path} holds ${size} bytes, its handle says ${file.size}`;
    }
    return null;
  }

  private async checkpointDirectories(): Promise<number[]> {
    const entries = await readdir(this.directory, { withFileTypes: true }).catch(() => []);
    return entries.flatMap((entry) => {
      const id = entry.isDirectory() ? checkpointIdOfDirectory(entry.name) : null;
      return id === null ? [] : [id];
    });
  }

  private async dropDirectory(checkpointId: number): Promise<void> {
    this.stored.delete(checkpointId);
    const directory = join(this.directory, checkpointDirectoryName(checkpointId));
    try {
      await rm(directory, { recursive: true, force: true });
    } catch (error) {
      this.report(TaskLocalStateProblemKind.DISCARD_FAILED, asCheckpointId(checkpointId),
        `the task-local directory ${directory} could not be deleted (${errorMessage(error)}); it stays until the next open or dispose`, error);
    }
  }

  private manifestPath(checkpointId: CheckpointId): string {
    return join(this.directory, checkpointDirectoryName(checkpointId), TASK_LOCAL_MANIFEST_NAME);
  }

  private report(kind: TaskLocalStateProblemKind, checkpointId: CheckpointId | null, message: string, error: unknown): void {
    this.counts[kind] += 1;
    this.onProblem({ kind, jobId: this.jobId, taskId: this.taskId, checkpointId, message, error });
  }

  private serially<T>(operation: string, work: () => Promise<T>): Promise<T> {
    const result = this.chain.then(() => {
      if (this.disposed) throw new TaskLocalStateStoreDisposedError(this.jobId, this.taskId, operation);
      return work();
    });
    this.chain = result.catch(() => undefined);
    return result;
  }
}

/** Every file handle of a task snapshot (operator state and keyed state). */
function filesOf(state: TaskStateSnapshot): FileStateHandle[] {
  const files: FileStateHandle[] = [];
  if (state.operatorState?.kind === 'file') files.push(state.operatorState);
  for (const keyed of state.keyedState) {
    if (keyed.kind === 'key-groups') {
      if (keyed.stream.kind === 'file') files.push(keyed.stream);
      continue;
    }
    if (keyed.metaState.kind === 'file') files.push(keyed.metaState);
    for (const { handle } of [...keyed.sharedState, ...keyed.privateState]) if (handle.kind === 'file') files.push(handle);
  }
  return files;
}
