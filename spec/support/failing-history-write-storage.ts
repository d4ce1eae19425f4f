import type { PersistedCheckpointHistory } from '../../src/checkpoint/checkpoint-history.js';
import { InMemoryCheckpointStorage } from '../../src/storage/in-memory-checkpoint-storage.js';

/** In-memory storage whose history writes fail (a full disk for that one file); everything else works. */
export class FailingHistoryWriteStorage extends InMemoryCheckpointStorage {
  historyWriteAttempts = 0;

  override async writeHistory(_history: PersistedCheckpointHistory): Promise<string> {
    this.historyWriteAttempts += 1;
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  }
}
