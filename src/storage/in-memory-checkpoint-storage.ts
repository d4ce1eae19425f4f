import type { CheckpointId, JobId } from '../core/ids.js';
import type { CheckpointIDCounter } from '../checkpoint/checkpoint-id-counter.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import { StandaloneCheckpointIDCounter } from '../checkpoint/standalone-checkpoint-id-counter.js';
import type { FileStateHandle } from '../state/state-handles.js';
import type { CheckpointStorage, StoredFile } from './checkpoint-storage.js';
import { encodeCheckpointMetadata } from './checkpoint-metadata-codec.js';
import { decodeCheckpointHistory, encodeCheckpointHistory } from './checkpoint-history-codec.js';
import type { PersistedCheckpointHistory } from '../checkpoint/checkpoint-history.js';
import { checksumOf } from './checksum.js';
import { CorruptStateError } from './corrupt-state-error.js';
import { StateFileExistsError } from './state-file-exists-error.js';
import { StateFileNotFoundError } from './state-file-not-found-error.js';
import { assertSafeFileName, storageLayout } from './storage-layout.js';
import { assertMetadataPointer, decodeStoredCheckpointMetadata } from './stored-checkpoint-metadata.js';

/**
 * Checkpoint storage held in process memory, with the same layout, write-once rule for shared files and metadata,
 * metadata format (versioned and checksummed, through the metadata codec), verification and error classes as the
 * filesystem storage. For specs and benchmarks that need no disk; nothing survives the process.
 */
export class InMemoryCheckpointStorage implements CheckpointStorage {
  readonly description = 'memory';
  private readonly files = new Map<string, Uint8Array>();
  private readonly counters = new Map<string, StandaloneCheckpointIDCounter>();

  async writeSharedFile(jobId: JobId, name: string, bytes: Uint8Array): Promise<FileStateHandle> {
    assertSafeFileName(name);
    return this.put(storageLayout.sharedFile(jobId, name), bytes, true);
  }

  async writeExclusiveFile(jobId: JobId, checkpointId: CheckpointId, name: string, bytes: Uint8Array): Promise<FileStateHandle> {
    assertSafeFileName(name);
    return this.put(storageLayout.exclusiveFile(jobId, checkpointId, name), bytes);
  }

  async writeTaskOwnedFile(jobId: JobId, name: string, bytes: Uint8Array): Promise<FileStateHandle> {
    assertSafeFileName(name);
    return this.put(storageLayout.taskOwnedFile(jobId, name), bytes);
  }

  async readFile(handle: FileStateHandle): Promise<Uint8Array> {
    const bytes = this.files.get(handle.path);
    if (bytes === undefined) throw new StateFileNotFoundError(handle.path, this.description);
    if (bytes.byteLength !== handle.size) throw new CorruptStateError(handle.path, `expected ${handle.size} bytes, found ${bytes.byteLength} (truncated or overwritten)`);
    if (checksumOf(bytes) !== handle.checksum) throw new CorruptStateError(handle.path, 'checksum mismatch');
    return bytes.slice();
  }

  async deleteFile(path: string): Promise<void> {
    this.files.delete(path);
  }

  /** Encodes the record like the filesystem storage does; a different record under the same checkpoint id throws {@link StateFileExistsError}. */
  async writeMetadata(checkpoint: CompletedCheckpoint): Promise<string> {
    const pointer = storageLayout.metadataFile(checkpoint.jobId, checkpoint.checkpointId);
    this.put(pointer, encodeCheckpointMetadata({ ...checkpoint, externalPointer: pointer }), true);
    return pointer;
  }

  /**
   * Decodes and verifies the metadata exactly as the filesystem storage does: format version, checksum, shape, and
   * that the record is the job's and checkpoint's its path names. Throws {@link StateFileNotFoundError} or
   * {@link CorruptStateError} naming the pointer, RangeError for a pointer that is not `<jobId>/chk-<id>/_metadata`.
   */
  async readMetadata(pointer: string): Promise<CompletedCheckpoint> {
    assertMetadataPointer(pointer);
    const bytes = this.files.get(pointer);
    if (bytes === undefined) throw new StateFileNotFoundError(pointer, this.description, 'checkpoint metadata');
    return decodeStoredCheckpointMetadata(bytes, pointer);
  }

  async listMetadata(jobId: JobId): Promise<string[]> {
    return [...this.files.keys()]
      .filter((path) => path.startsWith(`${jobId}/chk-`) && path.endsWith('/_metadata'))
      .sort((a, b) => (storageLayout.checkpointIdOf(a) ?? 0) - (storageLayout.checkpointIdOf(b) ?? 0));
  }

  async discardCheckpointDirectory(jobId: JobId, checkpointId: CheckpointId): Promise<void> {
    const prefix = `${storageLayout.checkpointDirectory(jobId, checkpointId)}/`;
    for (const path of [...this.files.keys()]) if (path.startsWith(prefix)) this.files.delete(path);
  }

  async listFiles(jobId: JobId): Promise<StoredFile[]> {
    return [...this.files.entries()]
      .filter(([path]) => path.startsWith(`${jobId}/shared/`) || path.startsWith(`${jobId}/chk-`))
      .map(([path, bytes]) => ({ path, size: bytes.byteLength }))
      .sort((a, b) => a.path.localeCompare(b.path));
  }

  /**
   * A counter in memory, continuing above every checkpoint whose metadata this storage holds (and so above every id it
   * handed out that completed); a new storage forgets, as memory does. Each call opens the job's one counter.
   */
  async openIdCounter(jobId: JobId): Promise<CheckpointIDCounter> {
    let counter = this.counters.get(jobId);
    if (counter === undefined) {
      counter = new StandaloneCheckpointIDCounter();
      const ids = [...this.files.keys()].map((path) => new RegExp(`^${jobId}/chk-(\\d+)/_metadata$`).exec(path)?.[1]).filter((id) => id !== undefined).map(Number);
      if (ids.length > 0) await counter.setCount(Math.max(...ids) + 1);
      this.counters.set(jobId, counter);
    }
    return counter;
  }

  /** Keeps the history's encoded bytes, as the filesystem storage writes them, so a read verifies them the same way. */
  async writeHistory(history: PersistedCheckpointHistory): Promise<string> {
    const path = storageLayout.historyFile(history.jobId);
    this.files.set(path, encodeCheckpointHistory(history));
    return path;
  }

  async readHistory(jobId: JobId): Promise<PersistedCheckpointHistory | null> {
    const path = storageLayout.historyFile(jobId);
    const bytes = this.files.get(path);
    return bytes === undefined ? null : decodeCheckpointHistory(bytes, path);
  }

  /** Replaces a stored file's bytes without updating any handle: how specs simulate corruption. */
  corrupt(path: string, bytes: Uint8Array): void {
    if (!this.files.has(path)) throw new Error(`cannot corrupt ${path}: no such file`);
    this.files.set(path, bytes);
  }

  private put(path: string, bytes: Uint8Array, writeOnce = false): FileStateHandle {
    const existing = this.files.get(path);
    if (writeOnce && existing !== undefined && Buffer.compare(existing, bytes) !== 0) throw new StateFileExistsError(path);
    const copy = bytes.slice();
    this.files.set(path, copy);
    return { kind: 'file', path, size: copy.byteLength, checksum: checksumOf(copy) };
  }
}
