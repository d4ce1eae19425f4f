// Recovers a job whose subsumed checkpoint's deletion fails once and must be retried on the system clock.
import { prepareCheckpointing } from '../../../../src/recovery/prepare-checkpointing.js';
import { FileSystemCheckpointStorage } from '../../../../src/storage/filesystem-checkpoint-storage.js';
import { aCheckpoint } from '../../../support/checkpoint-fixtures.js';

class FirstDeletionFailsStorage extends FileSystemCheckpointStorage {
  private failed = false;

  override async deleteFile(path: string): Promise<void> {
    if (!this.failed) {
      this.failed = true;
      throw new Error(`injected failure deleting ${path}`);
    }
    return super.deleteFile(path);
  }

  override async discardCheckpointDirectory(...args: Parameters<FileSystemCheckpointStorage['discardCheckpointDirectory']>): Promise<void> {
    if (!this.failed) {
      this.failed = true;
      throw new Error('injected failure deleting a checkpoint directory');
    }
    return super.discardCheckpointDirectory(...args);
  }
}

const storage = new FirstDeletionFailsStorage(process.argv[2] as string);
await storage.writeMetadata(aCheckpoint(1));
await storage.writeMetadata(aCheckpoint(2));
const setup = await prepareCheckpointing({ jobId: 'job-1', storage, retained: 1, discarding: { retryDelayMs: 50 } });
console.log(`prepared: retained ${setup.store.getAllCheckpoints().map((checkpoint) => checkpoint.checkpointId).join(',')}`);
