import { randomBytes } from 'node:crypto';
import { copyFile, link, open, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpointId } from '../core/ids.js';
import type { FileStateHandle } from '../state/state-handles.js';
import type { TaskLocalSnapshotStorage } from '../backend/task-local-snapshot-storage.js';
import { ensureDirectory, syncDirectory, TEMPORARY_FILE_PREFIX, writeFileAtomically } from '../storage/atomic-file-writer.js';
import { checksumOf } from '../storage/checksum.js';
import { CorruptStateError } from '../storage/corrupt-state-error.js';
import { StateFileNotFoundError } from '../storage/state-file-not-found-error.js';
import { assertSafeFileName } from '../storage/storage-layout.js';
import { checkpointDirectoryName, TASK_LOCAL_MANIFEST_NAME } from './task-local-layout.js';

const LOCAL_PATH = /^chk-(\d+)\/([^/\\]+)$/;
/** Link errors after which a copy does the job: another device, no hard links on this file system, too many links. */
const LINK_UNSUPPORTED = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS']);

/**
 * The task-local files of one task in its local directory: `chk-<id>/<name>` per checkpoint. Writes are atomic
 * (temporary name, fsync, rename, fsync of the directory) and reads are verified against the handle's size and
 * checksum. Files shared by several checkpoints' copies are hard links, so dropping one checkpoint's directory never
 * takes a file from another's.
 */
export class TaskLocalDirectoryStorage implements TaskLocalSnapshotStorage {
  readonly description: string;

  constructor(readonly directory: string) {
    this.description = `task-local:${directory}`;
  }

  async writeFile(checkpointId: CheckpointId, name: string, bytes: Uint8Array): Promise<FileStateHandle> {
    const path = this.pathOf(checkpointId, name);
    await writeFileAtomically(this.absolute(path), bytes);
    return { kind: 'file', path, size: bytes.byteLength, checksum: checksumOf(bytes) };
  }

  async linkFile(source: FileStateHandle, checkpointId: CheckpointId): Promise<FileStateHandle> {
    const { name } = this.parse(source.path);
    const path = this.pathOf(checkpointId, name);
    if (path === source.path) return source;
    const target = this.absolute(path);
    const directory = join(this.directory, checkpointDirectoryName(checkpointId));
    await ensureDirectory(directory);
    const temporary = join(directory, `${TEMPORARY_FILE_PREFIX}${randomBytes(8).toString('hex')}-${name}`);
    try {
      await linkOrCopy(this.absolute(source.path), temporary);
      await rename(temporary, target);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
    await syncDirectory(directory);
    return { ...source, path };
  }

  /** Throws {@link StateFileNotFoundError} when the file is gone and {@link CorruptStateError} when its size or checksum is wrong. */
  async readFile(handle: FileStateHandle): Promise<Uint8Array> {
    this.parse(handle.path);
    const absolute = this.absolute(handle.path);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(absolute));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new StateFileNotFoundError(handle.path, this.description);
      throw error;
    }
    if (bytes.byteLength !== handle.size) throw new CorruptStateError(absolute, `expected ${handle.size} bytes, found ${bytes.byteLength} (truncated or overwritten)`);
    if (checksumOf(bytes) !== handle.checksum) throw new CorruptStateError(absolute, 'checksum mismatch');
    return bytes;
  }

  async deleteFile(handle: FileStateHandle): Promise<void> {
    this.parse(handle.path);
    await rm(this.absolute(handle.path), { force: true });
  }

  /** `chk-<id>/<name>`, refusing names that would leave the directory or shadow the manifest. */
  private pathOf(checkpointId: CheckpointId, name: string): string {
    assertSafeFileName(name);
    if (name === TASK_LOCAL_MANIFEST_NAME) throw new Error(`invalid task-local file name '${name}': it is reserved for the task-local manifest`);
    return `${checkpointDirectoryName(checkpointId)}/${name}`;
  }

  private parse(path: string): { checkpointId: number; name: string } {
    const match = LOCAL_PATH.exec(path);
    if (match === null || match[2] === '.' || match[2] === '..') {
      throw new RangeError(`${path}: not a task-local path; expected chk-<id>/<name> inside ${this.directory}`);
    }
    return { checkpointId: Number(match[1]), name: match[2] as string };
  }

  private absolute(path: string): string {
    return join(this.directory, ...path.split('/'));
  }
}

/** Hard-links `source` to `target`, or copies it (and fsyncs the copy) where hard links are not possible. */
async function linkOrCopy(source: string, target: string): Promise<void> {
  try {
    await link(source, target);
    return;
  } catch (error) {
    if (!LINK_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
  await copyFile(source, target);
  const handle = await open(target, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
