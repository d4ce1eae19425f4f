import type { CheckpointId } from '../../src/core/ids.js';
import type { FileStateHandle } from '../../src/state/state-handles.js';
import type { TaskLocalSnapshotStorage } from '../../src/backend/task-local-snapshot-storage.js';
import { checksumOf } from '../../src/storage/checksum.js';
import { CorruptStateError } from '../../src/storage/corrupt-state-error.js';
import { StateFileNotFoundError } from '../../src/storage/state-file-not-found-error.js';

/** Task-local snapshot storage in memory, with the same paths (`chk-<id>/<name>`) and verification as the directory storage. */
export class InMemoryTaskLocalStorage implements TaskLocalSnapshotStorage {
  readonly description = 'task-local:memory';
  readonly files = new Map<string, Uint8Array>();

  async writeFile(checkpointId: CheckpointId, name: string, bytes: Uint8Array): Promise<FileStateHandle> {
    const path = `chk-${checkpointId}/${name}`;
    this.files.set(path, bytes.slice());
    return { kind: 'file', path, size: bytes.byteLength, checksum: checksumOf(bytes) };
  }

  async linkFile(source: FileStateHandle, checkpointId: CheckpointId): Promise<FileStateHandle> {
    const bytes = this.files.get(source.path);
    if (bytes === undefined) throw new StateFileNotFoundError(source.path, this.description);
    const path = `chk-${checkpointId}/${source.path.slice(source.path.indexOf('/') + 1)}`;
    this.files.set(path, bytes);
    return { ...source, path };
  }

  async readFile(handle: FileStateHandle): Promise<Uint8Array> {
    const bytes = this.files.get(handle.path);
    if (bytes === undefined) throw new StateFileNotFoundError(handle.path, this.description);
    if (bytes.byteLength !== handle.size || checksumOf(bytes) !== handle.checksum) throw new CorruptStateError(handle.path, 'checksum mismatch');
    return bytes.slice();
  }

  async deleteFile(handle: FileStateHandle): Promise<void> {
    this.files.delete(handle.path);
  }

  /** Replaces a file's bytes behind the storage's back: how specs corrupt a local copy. */
  corrupt(path: string, bytes: Uint8Array = new Uint8Array([1, 2, 3])): void {
    if (!this.files.has(path)) throw new Error(`cannot corrupt ${path}: no such task-local file`);
    this.files.set(path, bytes);
  }

  /** Drops every file of one checkpoint directory, as the task-local store does on abort. */
  dropCheckpoint(checkpointId: number): void {
    for (const path of [...this.files.keys()]) if (path.startsWith(`chk-${checkpointId}/`)) this.files.delete(path);
  }
}
