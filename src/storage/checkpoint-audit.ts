import type { CheckpointId, JobId } from '../core/ids.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { FileStateHandle, PlaceholderStreamStateHandle } from '../state/state-handles.js';
import { streamHandlesOf } from '../state/state-files.js';
import type { CheckpointStorage, StoredFile } from './checkpoint-storage.js';
import { checkStoredCheckpoint } from './completed-checkpoint-shape.js';
import { CorruptStateError } from './corrupt-state-error.js';
import { OrphanRemovalRefusedError } from './orphan-removal-refused-error.js';
import { StateFileNotFoundError } from './state-file-not-found-error.js';
import { storageLayout } from './storage-layout.js';
import { errorMessage } from '../core/error-message.js';

/** What a problem found by the audit is about. */
export const AuditSubject = {
  /** A checkpoint's `_metadata`: unreadable metadata hides what its checkpoint references. */
  METADATA: 'metadata',
  /** A state file a retained checkpoint references. */
  STATE_FILE: 'state-file',
  /** The job's durable checkpoint id counter: unreadable, or behind a retained checkpoint (ids would be reused). */
  ID_COUNTER: 'id-counter',
} as const;
export type AuditSubject = (typeof AuditSubject)[keyof typeof AuditSubject];

/** A referenced file that is missing or fails verification. */
export interface AuditProblem {
  readonly path: string;
  readonly subject: AuditSubject;
  /** The retained checkpoints that reference the file (for metadata: the checkpoint it describes, when known). */
  readonly checkpointIds: readonly CheckpointId[];
  readonly problem: string;
}

/** Why a stored file is an orphan. */
export const OrphanKind = {
  /** A complete file under `shared/` or `chk-*` that no retained checkpoint references. */
  UNREFERENCED: 'unreferenced',
  /** A `.tmp-` file left by a write that a crash interrupted (or that is running right now). */
  TEMPORARY: 'temporary',
  /** A `chk-*` directory with nothing in it, left by a discard a crash interrupted; its size is 0. */
  EMPTY_DIRECTORY: 'empty-directory',
} as const;
export type OrphanKind = (typeof OrphanKind)[keyof typeof OrphanKind];

export interface OrphanFile extends StoredFile {
  readonly kind: OrphanKind;
}

/** The outcome of {@link verifyCheckpoints}. `ok` when the job has checkpoints and nothing is missing, corrupt or orphaned. */
export interface CheckpointAuditReport {
  readonly jobId: JobId;
  /** The `description` of the storage audited; {@link removeOrphans} refuses a report of another storage. */
  readonly storage: string;
  readonly checkpointsChecked: number;
  /** Distinct referenced files verified, metadata included. */
  readonly filesChecked: number;
  readonly missing: readonly AuditProblem[];
  readonly corrupt: readonly AuditProblem[];
  readonly orphans: readonly OrphanFile[];
  /** True when the job has no checkpoint at all (an empty or unknown job directory): never OK. */
  readonly noCheckpoints: boolean;
  readonly ok: boolean;
}

export interface CheckpointAuditOptions {
  readonly jobId: JobId;
  readonly storage: CheckpointStorage;
  /** The retained checkpoints, e.g. a store's `getAllCheckpoints()`. Default: every checkpoint whose metadata is in storage. */
  readonly checkpoints?: readonly CompletedCheckpoint[];
}

/** What {@link removeOrphans} did. */
export interface OrphanRemoval {
  readonly removed: readonly string[];
  readonly failed: readonly { readonly path: string; readonly problem: string }[];
}

/** What a storage may also offer the audit (the filesystem storage offers all of it). */
interface AuditableLeftovers {
  /** The temporary files interrupted writes left behind. */
  listTemporaryFiles(jobId: JobId): Promise<StoredFile[]>;
  /** `chk-*` directories with nothing in them. */
  listEmptyCheckpointDirectories(jobId: JobId): Promise<string[]>;
  removeEmptyCheckpointDirectory(path: string): Promise<void>;
  /** The next id the job's durable id counter says, null when there is none. @throws CorruptStateError when unreadable. */
  readIdCounter(jobId: JobId): Promise<number | null>;
}

interface Reference {
  readonly handle: FileStateHandle;
  readonly checkpointIds: Set<CheckpointId>;
}

/**
 * Mark and sweep over a job's checkpoint storage. Marks every file the retained checkpoints reference — their
 * `_metadata` and each file state handle (operator state, key-group streams, incremental shared, private and meta
 * files) — and verifies each exists with the right size and checksum; an unresolved placeholder in a retained
 * checkpoint is reported as a metadata problem. Sweeps `shared/` and `chk-*` for files nothing marked (orphans),
 * including leftover `.tmp-` files when the storage can list them. Reads only; never deletes.
 */
export async function verifyCheckpoints(options: CheckpointAuditOptions): Promise<CheckpointAuditReport> {
  const { jobId, storage } = options;
  const missing: AuditProblem[] = [];
  const corrupt: AuditProblem[] = [];
  const report = (problem: AuditProblem, error: unknown, exists: boolean): void => {
    if (error instanceof CorruptStateError) corrupt.push({ ...problem, problem: error.problem });
    else if (error instanceof StateFileNotFoundError || !exists) missing.push(problem);
    else corrupt.push({ ...problem, problem: `unreadable: ${errorMessage(error)}` });
  };

  const listed = new Map((await storage.listFiles(jobId)).map((file) => [file.path, file.size]));
  const marked = new Set<string>();
  let filesChecked = 0;

  const checkpoints: CompletedCheckpoint[] = [];
  const pointers = options.checkpoints === undefined ? await storage.listMetadata(jobId) : options.checkpoints.flatMap((c) => (c.externalPointer === null ? [] : [c.externalPointer]));
  const given = new Map((options.checkpoints ?? []).map((checkpoint) => [checkpoint.externalPointer, checkpoint]));
  for (const pointer of pointers) {
    marked.add(pointer);
    filesChecked++;
    const idInPath = storageLayout.checkpointIdOf(pointer);
    const problem: AuditProblem = {
      path: pointer,
      subject: AuditSubject.METADATA,
      checkpointIds: idInPath === null ? [] : [idInPath as CheckpointId],
      problem: `checkpoint metadata not found in ${storage.description} storage`,
    };
    try {
      const checkpoint = checkStoredCheckpoint(await storage.readMetadata(pointer), pointer, jobId);
      if (!given.has(pointer)) checkpoints.push(checkpoint);
    } catch (error) {
      report(problem, error, listed.has(pointer));
    }
  }
  checkpoints.push(...(options.checkpoints ?? []));

  const references = new Map<string, Reference>();
  for (const checkpoint of checkpoints) {
    for (const { handle, location } of fileHandlesOf(checkpoint)) {
      if (handle.kind === 'placeholder') {
        corrupt.push({
          path: checkpoint.externalPointer ?? storageLayout.metadataFile(checkpoint.jobId, checkpoint.checkpointId),
          subject: AuditSubject.METADATA,
          checkpointIds: [checkpoint.checkpointId],
          problem: `unresolved placeholder (${handle.size} bytes) at ${location}; a retained checkpoint must hold the stored handle of every shared file`,
        });
        continue;
      }
      marked.add(handle.path);
      const key = `${handle.path}\n${handle.size}\n${handle.checksum}`;
      const reference = references.get(key) ?? { handle, checkpointIds: new Set<CheckpointId>() };
      reference.checkpointIds.add(checkpoint.checkpointId);
      references.set(key, reference);
    }
  }

  for (const { handle, checkpointIds } of references.values()) {
    filesChecked++;
    const problem: AuditProblem = {
      path: handle.path,
      subject: AuditSubject.STATE_FILE,
      checkpointIds: [...checkpointIds].sort((a, b) => a - b),
      problem: `state file not found in ${storage.description} storage`,
    };
    const listedSize = listed.get(handle.path);
    if (listedSize === undefined && isSwept(jobId, handle.path)) {
      missing.push(problem);
    } else if (listedSize !== undefined && listedSize !== handle.size) {
      corrupt.push({ ...problem, problem: `expected ${handle.size} bytes, found ${listedSize} (truncated or overwritten)` });
    } else {
      await storage.readFile(handle).then(
        () => undefined,
        (error: unknown) => report(problem, error, listedSize !== undefined),
      );
    }
  }

  const orphans: OrphanFile[] = [...listed]
    .filter(([path]) => !marked.has(path))
    .map(([path, size]) => ({ path, size, kind: OrphanKind.UNREFERENCED }));
  const leftovers = storage as CheckpointStorage & Partial<AuditableLeftovers>;
  if (leftovers.listTemporaryFiles !== undefined) {
    for (const file of await leftovers.listTemporaryFiles(jobId)) orphans.push({ path: file.path, size: file.size, kind: OrphanKind.TEMPORARY });
  }
  if (leftovers.listEmptyCheckpointDirectories !== undefined) {
    for (const path of await leftovers.listEmptyCheckpointDirectories(jobId)) orphans.push({ path, size: 0, kind: OrphanKind.EMPTY_DIRECTORY });
  }
  if (leftovers.readIdCounter !== undefined) {
    const problem = await auditIdCounter(jobId, leftovers.readIdCounter.bind(storage), checkpoints);
    if (problem !== null) corrupt.push(problem);
  }

  const byPath = (a: { path: string }, b: { path: string }): number => a.path.localeCompare(b.path);
  missing.sort(byPath);
  corrupt.sort(byPath);
  orphans.sort(byPath);
  const noCheckpoints = checkpoints.length === 0 && pointers.length === 0;
  return {
    jobId,
    storage: storage.description,
    checkpointsChecked: checkpoints.length,
    filesChecked,
    missing,
    corrupt,
    orphans,
    noCheckpoints,
    ok: !noCheckpoints && missing.length === 0 && corrupt.length === 0 && orphans.length === 0,
  };
}

/** The id counter must be readable and above every retained checkpoint, or a restarted job would reuse ids. */
async function auditIdCounter(jobId: JobId, readIdCounter: (jobId: JobId) => Promise<number | null>, checkpoints: readonly CompletedCheckpoint[]): Promise<AuditProblem | null> {
  const path = storageLayout.idCounterFile(jobId);
  let next: number | null;
  try {
    next = await readIdCounter(jobId);
  } catch (error) {
    return { path, subject: AuditSubject.ID_COUNTER, checkpointIds: [], problem: error instanceof CorruptStateError ? error.problem : `unreadable: ${errorMessage(error)}` };
  }
  if (next === null || checkpoints.length === 0) return null;
  const highest = Math.max(...checkpoints.map((checkpoint) => checkpoint.checkpointId));
  if (next > highest) return null;
  return {
    path, subject: AuditSubject.ID_COUNTER, checkpointIds: [highest as CheckpointId],
    problem: `the counter would hand out id ${next} next, but retained checkpoint ${highest} already has it: ids would be reused`,
  };
}

/**
 * Deletes the orphans of a report, one by one; a deletion that fails is reported and the rest go on.
 * Only safe while no coordinator of the job runs: files of a checkpoint in progress look orphaned until it completes.
 * @throws RangeError when the report was made for another storage.
 * @throws OrphanRemovalRefusedError when the report has metadata problems: files their checkpoints reference
 *   would look orphaned, and deleting them could lose the last copy of that state.
 */
export async function removeOrphans(report: CheckpointAuditReport, storage: CheckpointStorage): Promise<OrphanRemoval> {
  if (report.storage !== storage.description) {
    throw new RangeError(`the audit report is of ${report.storage} storage, not of ${storage.description}: audit this storage before removing its orphans`);
  }
  const unreadable = [...report.missing, ...report.corrupt].filter((problem) => problem.subject === AuditSubject.METADATA).map((problem) => problem.path);
  if (unreadable.length > 0) throw new OrphanRemovalRefusedError([...new Set(unreadable)]);
  const removed: string[] = [];
  const failed: { path: string; problem: string }[] = [];
  const leftovers = storage as CheckpointStorage & Partial<AuditableLeftovers>;
  const removeDirectory = async (path: string): Promise<void> => {
    if (leftovers.removeEmptyCheckpointDirectory === undefined) throw new Error(`${storage.description} storage cannot remove directories`);
    await leftovers.removeEmptyCheckpointDirectory(path);
  };
  const remove = async (path: string, directory: boolean): Promise<void> => {
    try {
      await (directory ? removeDirectory(path) : storage.deleteFile(path));
      removed.push(path);
    } catch (error) {
      failed.push({ path, problem: errorMessage(error) });
    }
  };
  for (const orphan of report.orphans) await remove(orphan.path, orphan.kind === OrphanKind.EMPTY_DIRECTORY);
  // Removing the last files of a `chk-*` directory leaves it empty: it goes too.
  if (leftovers.listEmptyCheckpointDirectories !== undefined) {
    for (const path of await leftovers.listEmptyCheckpointDirectories(report.jobId)) if (!removed.includes(path)) await remove(path, true);
  }
  return { removed, failed };
}

/** Every file handle and placeholder a checkpoint references, with where it sits for messages. */
function* fileHandlesOf(checkpoint: CompletedCheckpoint): Generator<{ handle: FileStateHandle | PlaceholderStreamStateHandle; location: string }> {
  for (const [taskId, state] of Object.entries(checkpoint.taskStates)) {
    for (const { handle, keyedIndex, part, reference } of streamHandlesOf(state)) {
      if (handle.kind === 'bytes') continue;
      const task = `task ${JSON.stringify(taskId)}`;
      const location = keyedIndex === null
        ? `${task} operatorState`
        : `${task} keyedState[${keyedIndex}]${reference === null ? `.${part}` : `.${part}[${reference.index}] (handle id ${JSON.stringify(reference.handleId)})`}`;
      yield { handle, location };
    }
  }
}

/** Whether `path` lies where `listFiles` looks (`shared/` and `chk-*` of the job), so its absence there means missing. */
function isSwept(jobId: JobId, path: string): boolean {
  return path.startsWith(`${jobId}/shared/`) || (path.startsWith(`${jobId}/chk-`) && storageLayout.checkpointIdOf(path) !== null);
}
