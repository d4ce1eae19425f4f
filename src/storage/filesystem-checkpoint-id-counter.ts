import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asCheckpointId, type CheckpointId, type JobId } from '../core/ids.js';
import type { JobStatus } from '../core/job-status.js';
import { writeFileAtomically } from './atomic-file-writer.js';
import { decodeIdCounter, encodeIdCounter } from './checkpoint-id-counter-file.js';
import { storageLayout } from './storage-layout.js';
import { assertValidNextCount, CheckpointIDCounterShutdownError, type CheckpointIDCounter } from '../checkpoint/checkpoint-id-counter.js';

export { CHECKPOINT_ID_COUNTER_FORMAT_VERSION } from './checkpoint-id-counter-file.js';

/**
 * A checkpoint id counter kept in `<base>/<jobId>/checkpoint-id-counter`, so that ids are never reused and never go
 * backwards across coordinator restarts, not even for checkpoints that were in flight when the previous coordinator
 * stopped. Each id is made durable (atomic write, fsync) before it is handed out. The file carries a format version
 * and a checksum; a damaged file is refused with a CorruptStateError naming it. It is kept when the job ends, so a
 * job restarted from retained checkpoints never reuses their ids.
 */
export class FileSystemCheckpointIDCounter implements CheckpointIDCounter {
  private chain: Promise<unknown> = Promise.resolve();
  private stoppedWith: JobStatus | null = null;

  private constructor(private readonly path: string, private next: number) {}

  /**
   * Opens the job's counter in `baseDirectory`, starting at 1 when there is no counter file yet.
   * @throws CorruptStateError naming the file when it is unreadable, of another format version, or fails its checksum.
   */
  static async open(baseDirectory: string, jobId: JobId): Promise<FileSystemCheckpointIDCounter> {
    const path = join(baseDirectory, ...storageLayout.idCounterFile(jobId).split('/'));
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new FileSystemCheckpointIDCounter(path, 1);
      throw error;
    }
    return new FileSystemCheckpointIDCounter(path, decodeIdCounter(text, path));
  }

  getAndIncrement(): Promise<CheckpointId> {
    return this.serially(async () => {
      if (this.stoppedWith !== null) throw new CheckpointIDCounterShutdownError(this.stoppedWith);
      const id = this.next;
      await this.persist(id + 1);
      this.next = id + 1;
      return asCheckpointId(id);
    });
  }

  get(): Promise<CheckpointId> {
    return this.serially(async () => asCheckpointId(this.next));
  }

  setCount(next: number): Promise<void> {
    return this.serially(async () => {
      assertValidNextCount(next, this.next);
      await this.persist(next);
      this.next = next;
    });
  }

  shutdown(jobStatus: JobStatus): Promise<void> {
    return this.serially(async () => {
      this.stoppedWith = jobStatus;
    });
  }

  private async persist(next: number): Promise<void> {
    await writeFileAtomically(this.path, encodeIdCounter(next));
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.chain.then(work);
    this.chain = result.catch(() => undefined);
    return result;
  }
}
