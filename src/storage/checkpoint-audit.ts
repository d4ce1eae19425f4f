import type { CheckpointId, JobId } from '../core/ids.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { FileStateHandle, PlaceholderStreamStateHandle, StreamStateHandle } from '../state/state-handles.js';
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
} as const;
export type OrphanKind = (typeof OrphanKind)[keyof typeof OrphanKind];

export interface OrphanFile extends StoredFile {
  readonly kind: OrphanKind;
}

/** The outcome of {@link verifyCheckpoints}. `ok` when nothing is missing, corrupt or orphaned. */
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

/** Storage that can also list the temporary files interrupted writes left behind (the filesystem storage can). */
interface ListsTemporaryFiles {
  listTemporaryFiles(jobId: JobId): Promise<StoredFile[]>;
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
  if (listsTemporaryFiles(storage)) {
    for (const file of await storage.listTemporaryFiles(jobId)) orphans.push({ path: file.path, size: file.size, kind: OrphanKind.TEMPORARY });
  }

  const byPath = (a: { path: string }, b: { path: string }): number => a.path.localeCompare(b.path);
  missing.sort(byPath);
  corrupt.sort(byPath);
  orphans.sort(byPath);
  return {
    jobId,
    storage: storage.description,
    checkpointsChecked: checkpoints.length,
    filesChecked,
    missing,
    corrupt,
    orphans,
    ok: missing.length === 0 && corrupt.length === 0 && orphans.length === 0,
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
  for (const orphan of report.orphans) {
    try {
      await storage.deleteFile(orphan.path);
      removed.push(orphan.path);
    } catch (error) {
      failed.push({ path: orphan.path, problem: errorMessage(error) });
    }
  }
  return { removed, failed };
}

/** Every file handle and placeholder a checkpoint references, with where it sits for messages. */
function* fileHandlesOf(checkpoint: CompletedCheckpoint): Generator<{ handle: FileStateHandle | PlaceholderStreamStateHandle; location: string }> {
  function* stream(handle: StreamStateHandle | PlaceholderStreamStateHandle, location: string) {
    if (handle.kind !== 'bytes') yield { handle, location };
  }
  for (const [taskId, state] of Object.entries(checkpoint.taskStates)) {
    const task = `task ${JSON.stringify(taskId)}`;
    if (state.operatorState !== null && state.operatorState.kind !== 'inline') yield* stream(state.operatorState, `${task} operatorState`);
    for (const [index, keyed] of state.keyedState.entries()) {
      const at = `${task} keyedState[${index}]`;
      if (keyed.kind === 'key-groups') {
        yield* stream(keyed.stream, `${at}.stream`);
        continue;
      }
      for (const [i, reference] of keyed.sharedState.entries()) yield* stream(reference.handle, `${at}.sharedState[${i}] (handle id ${JSON.stringify(reference.handleId)})`);
      for (const [i, reference] of keyed.privateState.entries()) yield* stream(reference.handle, `${at}.privateState[${i}] (handle id ${JSON.stringify(reference.handleId)})`);
      yield* stream(keyed.metaState, `${at}.metaState`);
    }
  }
}

/** Whether `path` lies where `listFiles` looks (`shared/` and `chk-*` of the job), so its absence there means missing. */
function isSwept(jobId: JobId, path: string): boolean {
  return path.startsWith(`${jobId}/shared/`) || (path.startsWith(`${jobId}/chk-`) && storageLayout.checkpointIdOf(path) !== null);
}

function listsTemporaryFiles(storage: CheckpointStorage): storage is CheckpointStorage & ListsTemporaryFiles {
  return typeof (storage as Partial<ListsTemporaryFiles>).listTemporaryFiles === 'function';
}
