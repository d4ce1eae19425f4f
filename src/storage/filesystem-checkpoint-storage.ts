import { isPathSafeId } from '../core/path-safe-id.js';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { CheckpointId, JobId } from '../core/ids.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { FileStateHandle } from '../state/state-handles.js';
import { ExistingFilePolicy, isTemporaryFileName, writeFileAtomically } from './atomic-file-writer.js';
import type { CheckpointStorage, StoredFile } from './checkpoint-storage.js';
import { encodeCheckpointMetadata } from './checkpoint-metadata-codec.js';
import { decodeCheckpointHistory, encodeCheckpointHistory } from './checkpoint-history-codec.js';
import type { PersistedCheckpointHistory } from '../checkpoint/checkpoint-history.js';
import type { CheckpointIDCounter } from '../checkpoint/checkpoint-id-counter.js';
import { checksumOf } from './checksum.js';
import { FileSystemCheckpointIDCounter } from './filesystem-checkpoint-id-counter.js';
import { decodeIdCounter } from './checkpoint-id-counter-file.js';
import { CorruptStateError } from './corrupt-state-error.js';
import { StateFileExistsError } from './state-file-exists-error.js';
import { StateFileNotFoundError } from './state-file-not-found-error.js';
import { assertSafeFileName, storageLayout } from './storage-layout.js';
import { assertMetadataPointer, decodeStoredCheckpointMetadata } from './stored-checkpoint-metadata.js';

const CHECKPOINT_DIRECTORY = /^chk-(\d+)$/;

/**
 * Checkpoint storage in a directory tree, in Flink's layout: `<base>/<jobId>/chk-<id>/_metadata`,
 * `<base>/<jobId>/chk-<id>/<private files>`, `<base>/<jobId>/shared/`, `<base>/<jobId>/taskowned/`.
 * Every write is atomic (temporary `.tmp-` file, fsync, rename, fsync of the directory), shared files and
 * metadata are written once, and every read is verified. Survives crashes of the process and of the machine.
 */
export class FileSystemCheckpointStorage implements CheckpointStorage {
  /** The absolute directory every stored path is relative to. */
  readonly baseDirectory: string;
  readonly description: string;

  /** `baseDirectory` is resolved against the working directory now; it is created on the first write. */
  constructor(baseDirectory: string) {
    this.baseDirectory = resolve(baseDirectory);
    this.description = `filesystem:${this.baseDirectory}`;
  }

  /** Writes an immutable shared file; rewriting identical bytes succeeds, different bytes throw {@link StateFileExistsError}. */
  async writeSharedFile(jobId: JobId, name: string, bytes: Uint8Array): Promise<FileStateHandle> {
    assertSafeJobId(jobId);
    assertSafeFileName(name);
    const path = storageLayout.sharedFile(jobId, name);
    await this.writeOnce(path, bytes);
    return handleOf(path, bytes);
  }

  async writeExclusiveFile(jobId: JobId, checkpointId: CheckpointId, name: string, bytes: Uint8Array): Promise<FileStateHandle> {
    assertSafeJobId(jobId);
    assertCheckpointId(checkpointId);
    assertSafeFileName(name);
    const path = storageLayout.exclusiveFile(jobId, checkpointId, name);
    await writeFileAtomically(this.absolute(path), bytes);
    return handleOf(path, bytes);
  }

  async writeTaskOwnedFile(jobId: JobId, name: string, bytes: Uint8Array): Promise<FileStateHandle> {
    assertSafeJobId(jobId);
    assertSafeFileName(name);
    const path = storageLayout.taskOwnedFile(jobId, name);
    await writeFileAtomically(this.absolute(path), bytes);
    return handleOf(path, bytes);
  }

  /** Throws {@link StateFileNotFoundError} when the file is absent, {@link CorruptStateError} when its size or checksum is wrong. */
  async readFile(handle: FileStateHandle): Promise<Uint8Array> {
    const bytes = await this.read(handle.path, 'state file');
    if (bytes.byteLength !== handle.size) throw new CorruptStateError(handle.path, `expected ${handle.size} bytes, found ${bytes.byteLength} (truncated or overwritten)`);
    if (checksumOf(bytes) !== handle.checksum) throw new CorruptStateError(handle.path, 'checksum mismatch');
    return bytes;
  }

  async deleteFile(path: string): Promise<void> {
    await rm(this.absolute(path), { force: true });
  }

  /** Writes the metadata once; a different record under the same checkpoint id throws {@link StateFileExistsError}. */
  async writeMetadata(checkpoint: CompletedCheckpoint): Promise<string> {
    assertSafeJobId(checkpoint.jobId);
    assertCheckpointId(checkpoint.checkpointId);
    const pointer = storageLayout.metadataFile(checkpoint.jobId, checkpoint.checkpointId);
    await this.writeOnce(pointer, encodeCheckpointMetadata({ ...checkpoint, externalPointer: pointer }));
    return pointer;
  }

  /**
   * Reads and verifies `<jobId>/chk-<id>/_metadata`: format, checksum, shape, and that the record belongs to the job
   * and checkpoint its path names. Throws {@link StateFileNotFoundError} or {@link CorruptStateError} naming the pointer.
   */
  async readMetadata(pointer: string): Promise<CompletedCheckpoint> {
    assertMetadataPointer(pointer);
    return decodeStoredCheckpointMetadata(await this.read(pointer, 'checkpoint metadata'), pointer);
  }

  async listMetadata(jobId: JobId): Promise<string[]> {
    assertSafeJobId(jobId);
    const found: { id: number; pointer: string }[] = [];
    for (const entry of await this.entries(jobId)) {
      const id = CHECKPOINT_DIRECTORY.exec(entry.name)?.[1];
      if (!entry.isDirectory() || id === undefined) continue;
      const pointer = `${jobId}/${entry.name}/_metadata`;
      if ((await this.sizeOf(pointer)) !== null) found.push({ id: Number(id), pointer });
    }
    return found.sort((a, b) => a.id - b.id).map(({ pointer }) => pointer);
  }

  async discardCheckpointDirectory(jobId: JobId, checkpointId: CheckpointId): Promise<void> {
    assertSafeJobId(jobId);
    assertCheckpointId(checkpointId);
    await rm(this.absolute(storageLayout.checkpointDirectory(jobId, checkpointId)), { recursive: true, force: true });
  }

  /** Files under `shared/` and `chk-*`, sorted by path; leftover temporary files are listed by {@link listTemporaryFiles} instead. */
  async listFiles(jobId: JobId): Promise<StoredFile[]> {
    return (await this.filesOfAuditedDirectories(jobId)).filter((file) => !isTemporaryFileName(lastSegment(file.path)));
  }

  /** Leftover `.tmp-` files under `shared/`, `chk-*` and the job directory itself: writes a crash interrupted. Nothing references them. */
  async listTemporaryFiles(jobId: JobId): Promise<StoredFile[]> {
    const inJobDirectory: StoredFile[] = [];
    for (const entry of await this.entries(jobId)) {
      if (!entry.isFile() || !isTemporaryFileName(entry.name)) continue;
      const size = await this.sizeOf(`${jobId}/${entry.name}`);
      if (size !== null) inJobDirectory.push({ path: `${jobId}/${entry.name}`, size });
    }
    const nested = (await this.filesOfAuditedDirectories(jobId)).filter((file) => isTemporaryFileName(lastSegment(file.path)));
    return [...inJobDirectory, ...nested].sort((a, b) => a.path.localeCompare(b.path));
  }

  /** `chk-*` directories with no file left in them (`<jobId>/chk-<id>`): a discard a crash interrupted. */
  async listEmptyCheckpointDirectories(jobId: JobId): Promise<string[]> {
    assertSafeJobId(jobId);
    const empty: string[] = [];
    for (const entry of await this.entries(jobId)) {
      if (!entry.isDirectory() || !CHECKPOINT_DIRECTORY.test(entry.name)) continue;
      const files: StoredFile[] = [];
      await this.collect(`${jobId}/${entry.name}`, files);
      if (files.length === 0) empty.push(`${jobId}/${entry.name}`);
    }
    return empty.sort();
  }

  /** Removes an empty `chk-*` directory (a listed one); a directory that is no longer empty is left alone and reported. */
  async removeEmptyCheckpointDirectory(path: string): Promise<void> {
    const id = /^[^/]+\/chk-(\d+)$/.exec(path);
    if (id === null) throw new RangeError(`${path}: not a checkpoint directory; expected <jobId>/chk-<id>`);
    const files: StoredFile[] = [];
    await this.collect(path, files);
    if (files.length > 0) throw new Error(`${path} is not empty any more (${files.length} file(s)): left alone`);
    await rm(this.absolute(path), { recursive: true, force: true });
  }

  /** The job's durable id counter, `<jobId>/checkpoint-id-counter`: each id is made durable before it is handed out. */
  openIdCounter(jobId: JobId): Promise<CheckpointIDCounter> {
    assertSafeJobId(jobId);
    return FileSystemCheckpointIDCounter.open(this.baseDirectory, jobId);
  }

  /** Replaces `<jobId>/checkpoint-history.json` atomically (temporary file, fsync, rename, fsync of the directory). */
  async writeHistory(history: PersistedCheckpointHistory): Promise<string> {
    assertSafeJobId(history.jobId);
    const path = storageLayout.historyFile(history.jobId);
    await writeFileAtomically(this.absolute(path), encodeCheckpointHistory(history));
    return path;
  }

  /** Reads and verifies `<jobId>/checkpoint-history.json`; null when there is none. @throws CorruptStateError naming the file. */
  async readHistory(jobId: JobId): Promise<PersistedCheckpointHistory | null> {
    assertSafeJobId(jobId);
    const path = storageLayout.historyFile(jobId);
    const bytes = await this.readIfPresent(path);
    return bytes === null ? null : decodeCheckpointHistory(bytes, path);
  }

  /** The next id the job's durable id counter file says, null when there is none. @throws CorruptStateError naming the file. */
  async readIdCounter(jobId: JobId): Promise<number | null> {
    assertSafeJobId(jobId);
    const path = storageLayout.idCounterFile(jobId);
    const bytes = await this.readIfPresent(path);
    return bytes === null ? null : decodeIdCounter(new TextDecoder().decode(bytes), path);
  }

  /** The bytes of a file of the job's own bookkeeping, null when there is none. */
  private async readIfPresent(path: string): Promise<Uint8Array | null> {
    try {
      return await this.read(path, 'state file');
    } catch (error) {
      if (error instanceof StateFileNotFoundError) return null;
      throw error;
    }
  }

  private async filesOfAuditedDirectories(jobId: JobId): Promise<StoredFile[]> {
    assertSafeJobId(jobId);
    const files: StoredFile[] = [];
    for (const entry of await this.entries(jobId)) {
      if (entry.isDirectory() && (entry.name === 'shared' || CHECKPOINT_DIRECTORY.test(entry.name))) await this.collect(`${jobId}/${entry.name}`, files);
    }
    return files.sort((a, b) => a.path.localeCompare(b.path));
  }

  private async collect(directory: string, into: StoredFile[]): Promise<void> {
    for (const entry of await this.entries(directory)) {
      const path = `${directory}/${entry.name}`;
      if (entry.isDirectory()) await this.collect(path, into);
      else if (entry.isFile()) {
        const size = await this.sizeOf(path);
        if (size !== null) into.push({ path, size });
      }
    }
  }

  private async entries(directory: string) {
    try {
      return await readdir(this.absolute(directory), { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }

  private async sizeOf(path: string): Promise<number | null> {
    try {
      const stats = await stat(this.absolute(path));
      return stats.isFile() ? stats.size : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  private async read(path: string, what: 'state file' | 'checkpoint metadata'): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.absolute(path)));
    } catch (error) {
      if (isMissing(error)) throw new StateFileNotFoundError(path, this.description, what);
      throw error;
    }
  }

  private async writeOnce(path: string, bytes: Uint8Array): Promise<void> {
    try {
      await writeFileAtomically(this.absolute(path), bytes, ExistingFilePolicy.FAIL);
    } catch (error) {
      if (!hasCode(error, 'EEXIST')) throw error;
      const existing = await this.read(path, 'state file');
      if (Buffer.compare(existing, bytes) !== 0) throw new StateFileExistsError(path);
    }
  }

  /** The absolute path of a stored path; refuses paths that would leave the base directory. */
  private absolute(path: string): string {
    const segments = path.split('/');
    if (isAbsolute(path) || path.includes('\\') || segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
      throw new RangeError(`${path}: not a stored path; expected a relative path such as <jobId>/shared/<name> inside ${this.baseDirectory}`);
    }
    return join(this.baseDirectory, ...segments);
  }
}

function handleOf(path: string, bytes: Uint8Array): FileStateHandle {
  return { kind: 'file', path, size: bytes.byteLength, checksum: checksumOf(bytes) };
}

function assertSafeJobId(jobId: JobId): void {
  if (!isPathSafeId(jobId)) {
    throw new RangeError(`invalid job id '${jobId}': it names a directory, so it must be 1 to 200 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
}

function assertCheckpointId(checkpointId: CheckpointId): void {
  if (!Number.isSafeInteger(checkpointId) || checkpointId < 1) throw new RangeError(`invalid checkpoint id ${checkpointId}: checkpoint ids are integers starting at 1`);
}

function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

function isMissing(error: unknown): boolean {
  return hasCode(error, 'ENOENT') || hasCode(error, 'ENOTDIR');
}
