import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { freeze } from 'immer';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import { decodeCheckpointMetadata } from '../storage/checkpoint-metadata-codec.js';
import { CorruptStateError } from '../storage/corrupt-state-error.js';
import { decodeStoredCheckpointMetadata } from '../storage/stored-checkpoint-metadata.js';
import { RestorePointKind } from './restore-point-kind.js';
import { RestorePointNotFoundError } from './restore-point-not-found-error.js';
import { isSafeRelativePath, savepointLayout } from './savepoint-layout.js';
import { filesOf, mapStateFiles } from './state-file-paths.js';

/** A savepoint or retained checkpoint read from a path, ready to be restored by a job whose storage is at some base. */
export interface RestorePoint {
  readonly kind: RestorePointKind;
  /** The absolute path of its `_metadata`. */
  readonly metadataPath: string;
  /**
   * The record, verified, with every file path rewritten for the restoring job's storage: relative to the storage base
   * when the file lies inside it, absolute otherwise. `externalPointer` names the metadata file the same way.
   */
  readonly checkpoint: CompletedCheckpoint;
}

/**
 * Reads the savepoint or retained checkpoint at `path` (its directory or its `_metadata`) for a job whose checkpoint
 * storage is at `storageBase`: the metadata is verified (format version, checksum, shape), a savepoint's file paths
 * are resolved against its own directory and a retained checkpoint's against the storage base it was written to, and
 * every referenced file must exist with the size the record names.
 * @throws RestorePointNotFoundError when there is no metadata at `path`; CorruptStateError naming the metadata when it
 *   fails verification, is neither kind, names unsafe paths, or references files that are missing or of the wrong size.
 */
export async function readRestorePoint(path: string, storageBase: string): Promise<RestorePoint> {
  const given = resolve(path);
  const metadataPath = (await isDirectory(given)) ? join(given, savepointLayout.METADATA_FILE) : given;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(metadataPath));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') throw new RestorePointNotFoundError(path, metadataPath);
    throw error;
  }
  const record = decodeCheckpointMetadata(bytes, metadataPath);
  const base = resolve(storageBase);
  let kind: RestorePointKind;
  let resolveFile: (file: string) => string;
  if (record.externalPointer === savepointLayout.SELF_POINTER) {
    kind = RestorePointKind.SAVEPOINT;
    const directory = dirname(metadataPath);
    resolveFile = (file) => {
      if (!isSafeRelativePath(file)) throw new CorruptStateError(metadataPath, `references ${JSON.stringify(file)}, which is not a path inside the savepoint directory`);
      return join(directory, ...file.split('/'));
    };
  } else {
    const pointer = record.externalPointer;
    const suffix = pointer === null ? null : `${sep}${pointer.split('/').join(sep)}`;
    if (pointer === null || suffix === null || !metadataPath.endsWith(suffix)) {
      throw new CorruptStateError(
        metadataPath,
        `is neither a savepoint's metadata (written by TriggerSavepoint with a target directory) nor that of a retained checkpoint at <base>/${String(pointer)}`,
      );
    }
    decodeStoredCheckpointMetadata(bytes, pointer);
    kind = RestorePointKind.RETAINED_CHECKPOINT;
    const writtenBase = metadataPath.slice(0, -suffix.length);
    resolveFile = (file) => {
      if (isAbsolute(file)) return resolve(file);
      if (!isSafeRelativePath(file)) throw new CorruptStateError(metadataPath, `references ${JSON.stringify(file)}, which is not a path inside its checkpoint storage`);
      return join(writtenBase, ...file.split('/'));
    };
  }
  const forStorage = (absolute: string): string => {
    const inside = relative(base, absolute);
    return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) ? inside.split(sep).join('/') : absolute;
  };
  const taskStates = mapStateFiles(record.taskStates, (handle) => ({ ...handle, path: forStorage(resolveFile(handle.path)) }));
  const checkpoint = freeze({ ...record, taskStates, externalPointer: forStorage(metadataPath) }, true);
  await assertFilesPresent(checkpoint, base, metadataPath);
  return { kind, metadataPath, checkpoint };
}

async function assertFilesPresent(checkpoint: CompletedCheckpoint, base: string, metadataPath: string): Promise<void> {
  const problems: string[] = [];
  for (const handle of filesOf(checkpoint)) {
    const absolute = isAbsolute(handle.path) ? handle.path : join(base, ...handle.path.split('/'));
    const size = await stat(absolute).then((stats) => (stats.isFile() ? stats.size : null), () => null);
    if (size === null) problems.push(`${absolute} (missing)`);
    else if (size !== handle.size) problems.push(`${absolute} (expected ${handle.size} bytes, found ${size})`);
  }
  if (problems.length > 0) throw new CorruptStateError(metadataPath, `references files that are missing or of the wrong size: ${problems.join(', ')}`);
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((stats) => stats.isDirectory(), () => false);
}
