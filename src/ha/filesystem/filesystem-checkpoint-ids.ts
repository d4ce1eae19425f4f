import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ensureDirectory } from '../../storage/atomic-file-writer.js';
import { FileSystemCheckpointIDCounter } from '../../storage/filesystem-checkpoint-id-counter.js';
import type { JobId } from '../../core/ids.js';
import type { CheckpointIdTable } from '../high-availability-backend.js';
import { WriteOutcome } from '../high-availability-storage-error.js';
import type { LeaderSession } from '../leader-session.js';
import type { FileSystemFence } from './filesystem-fence.js';
import { removeFileDurably } from './filesystem-records.js';

const CHECKPOINT_DIRECTORY = /^chk-(\d+)$/;

/**
 * Id counters in `jobs/<jobId>/checkpoint-id-counter`, each a FileSystemCheckpointIDCounter (each id made durable
 * before it is handed out) opened afresh inside the fence, so several processes always see the latest count. A
 * counter that has not handed out any id yet starts above every `<jobId>/chk-<id>` of the checkpoint directory.
 */
export class FileSystemCheckpointIds implements CheckpointIdTable {
  constructor(private readonly fence: FileSystemFence, private readonly checkpointDirectory: string | null) {}

  getAndIncrement(session: LeaderSession, jobId: JobId): Promise<number> {
    return this.fence.fenced(session, `checkpoint id counter getAndIncrement for job '${jobId}'`, this.lock(jobId), async () => (await this.open(jobId)).getAndIncrement());
  }

  async get(jobId: JobId): Promise<number> {
    try {
      const counter = await FileSystemCheckpointIDCounter.open(this.fence.layout.counterBase, jobId);
      const next = await counter.get();
      return next === 1 ? (await this.highestCheckpointDirectory(jobId)) + 1 : next;
    } catch (error) {
      throw this.fence.failure(`reading the checkpoint id counter of job '${jobId}'`, WriteOutcome.NOT_APPLIED, error);
    }
  }

  setCount(session: LeaderSession, jobId: JobId, next: number): Promise<void> {
    return this.fence.fenced(session, `checkpoint id counter setCount for job '${jobId}'`, this.lock(jobId), async () => (await this.open(jobId)).setCount(next));
  }

  remove(session: LeaderSession, jobId: JobId): Promise<void> {
    return this.fence.fenced(session, `checkpoint id counter removal for job '${jobId}'`, this.lock(jobId), () => removeFileDurably(this.fence.layout.counter(jobId)));
  }

  private lock(jobId: JobId): string {
    return `${this.fence.layout.counter(jobId)}.lock`;
  }

  /** The job's counter, moved above the checkpoint directories on disk when it has not handed out an id yet. */
  private async open(jobId: JobId): Promise<FileSystemCheckpointIDCounter> {
    await ensureDirectory(dirname(this.fence.layout.counter(jobId)));
    const counter = await FileSystemCheckpointIDCounter.open(this.fence.layout.counterBase, jobId);
    if ((await counter.get()) === 1) {
      const highest = await this.highestCheckpointDirectory(jobId);
      if (highest > 0) await counter.setCount(highest + 1);
    }
    return counter;
  }

  private async highestCheckpointDirectory(jobId: JobId): Promise<number> {
    if (this.checkpointDirectory === null) return 0;
    let names: string[];
    try {
      names = await readdir(join(this.checkpointDirectory, jobId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    let highest = 0;
    for (const name of names) {
      const match = CHECKPOINT_DIRECTORY.exec(name);
      if (match?.[1] !== undefined) highest = Math.max(highest, Number(match[1]));
    }
    return highest;
  }
}
