import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { FileStateHandle } from '../state/state-handles.js';
import { ensureDirectory, ExistingFilePolicy, syncDirectory, TEMPORARY_FILE_PREFIX, writeFileAtomically } from '../storage/atomic-file-writer.js';
import { encodeCheckpointMetadata } from '../storage/checkpoint-metadata-codec.js';
import { savepointLayout } from './savepoint-layout.js';
import { filesOf, mapStateFiles } from './state-file-paths.js';

/** What {@link writeSelfContainedSavepoint} needs. */
export interface SelfContainedSavepointOptions {
  /** A completed savepoint whose placeholders are resolved (as the coordinator registered it). */
  readonly savepoint: CompletedCheckpoint;
  /** The directory the savepoint directory is created in (created when missing). */
  readonly targetDirectory: string;
  /** Reads a referenced file, verified against its size and checksum (a CheckpointStorage's `readFile`). */
  readonly readFile: (handle: FileStateHandle) => Promise<Uint8Array>;
}

/**
 * Writes a savepoint that depends on nothing else: `<targetDirectory>/savepoint-<jobId>-<id>-<suffix>/` holds a copy of
 * every file the savepoint references, shared files of earlier checkpoints included, and a `_metadata` (versioned,
 * checksummed) whose file paths are relative to that directory. So the directory can be moved, and kept after the job
 * and its checkpoint directory are gone; the engine never deletes it. Everything is written under a temporary name,
 * each file atomically, and the directory is renamed into place last: it appears complete or not at all. Resolves to
 * the absolute path of the savepoint directory.
 * @throws Error naming the file that could not be read or written (nothing is left in the target directory), or an
 *   unresolved placeholder.
 */
export async function writeSelfContainedSavepoint(options: SelfContainedSavepointOptions): Promise<string> {
  const { savepoint } = options;
  const target = resolve(options.targetDirectory);
  const suffix = randomBytes(3).toString('hex');
  const temporary = join(target, `${TEMPORARY_FILE_PREFIX}${savepointLayout.directoryName(savepoint.jobId, savepoint.checkpointId, suffix)}`);
  const final = join(target, savepointLayout.directoryName(savepoint.jobId, savepoint.checkpointId, suffix));
  try {
    await ensureDirectory(temporary);
    const placed = new Map<string, string>();
    for (const handle of filesOf(savepoint)) {
      const inside = savepointLayout.fileOf(savepoint.jobId, handle.path);
      let bytes: Uint8Array;
      try {
        bytes = await options.readFile(handle);
      } catch (error) {
        throw new Error(`copying ${handle.path} into savepoint ${final} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      await writeFileAtomically(join(temporary, ...inside.split('/')), bytes, ExistingFilePolicy.FAIL);
      placed.set(handle.path, inside);
    }
    const taskStates = mapStateFiles(savepoint.taskStates, (handle) => ({ ...handle, path: placed.get(handle.path) as string }));
    const record: CompletedCheckpoint = { ...savepoint, taskStates, externalPointer: savepointLayout.SELF_POINTER };
    await writeFileAtomically(join(temporary, savepointLayout.METADATA_FILE), encodeCheckpointMetadata(record), ExistingFilePolicy.FAIL);
    await rename(temporary, final);
    await syncDirectory(target);
    return final;
  } catch (error) {
    await rm(temporary, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
}
