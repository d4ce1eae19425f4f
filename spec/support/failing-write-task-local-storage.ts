import type { CheckpointId } from '../../src/core/ids.js';
import type { FileStateHandle } from '../../src/state/state-handles.js';
import type { TaskLocalSnapshotStorage } from '../../src/backend/task-local-snapshot-storage.js';

/** Task-local storage whose writes and links fail (disk full) while `failing` is true; reads and deletes pass through. */
export class FailingWriteTaskLocalStorage implements TaskLocalSnapshotStorage {
  readonly description: string;
  failing = true;
  attemptedWrites = 0;

  constructor(private readonly inner: TaskLocalSnapshotStorage) {
    this.description = `failing-write ${inner.description}`;
  }

  async writeFile(checkpointId: CheckpointId, name: string, bytes: Uint8Array): Promise<FileStateHandle> {
    this.attemptedWrites += 1;
    if (this.failing) throw Object.assign(new Error(`ENOSPC: no space left on device, write chk-${checkpointId}/${name}`), { code: 'ENOSPC' });
    return this.inner.writeFile(checkpointId, name, bytes);
  }

  async linkFile(source: FileStateHandle, checkpointId: CheckpointId): Promise<FileStateHandle> {
    this.attemptedWrites += 1;
    if (this.failing) throw Object.assign(new Error(`ENOSPC: no space left on device, link ${source.path} into chk-${checkpointId}`), { code: 'ENOSPC' });
    return this.inner.linkFile(source, checkpointId);
  }

  readFile(handle: FileStateHandle): Promise<Uint8Array> {
    return this.inner.readFile(handle);
  }

  deleteFile(handle: FileStateHandle): Promise<void> {
    return this.inner.deleteFile(handle);
  }
}
