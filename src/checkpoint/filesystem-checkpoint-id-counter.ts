import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asCheckpointId, type CheckpointId, type JobId } from '../core/ids.js';
import type { JobStatus } from '../core/job-status.js';
import { writeFileAtomically } from '../storage/atomic-file-writer.js';
import { checksumOf } from '../storage/checksum.js';
import { CorruptStateError } from '../storage/corrupt-state-error.js';
import { assertValidNextCount, CheckpointIDCounterShutdownError, type CheckpointIDCounter } from './checkpoint-id-counter.js';

/** Format version of the counter file; a file of another version is refused. */
export const CHECKPOINT_ID_COUNTER_FORMAT_VERSION = 1;

const FILE_NAME = 'checkpoint-id-counter';

interface CounterRecord {
  readonly formatVersion: number;
  readonly next: number;
  readonly checksum: string;
}

const checksumOfNext = (next: number): string => checksumOf(new TextEncoder().encode(`next=${next}`));

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
    const path = join(baseDirectory, jobId, FILE_NAME);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new FileSystemCheckpointIDCounter(path, 1);
      throw error;
    }
    let record: Partial<CounterRecord>;
    try {
      record = JSON.parse(text) as Partial<CounterRecord>;
    } catch {
      throw new CorruptStateError(path, 'the checkpoint id counter file is not valid JSON (truncated?)');
    }
    if (record.formatVersion !== CHECKPOINT_ID_COUNTER_FORMAT_VERSION) {
      throw new CorruptStateError(path, `unsupported checkpoint id counter format version ${String(record.formatVersion)} (supported: ${CHECKPOINT_ID_COUNTER_FORMAT_VERSION})`);
    }
    if (!Number.isSafeInteger(record.next) || (record.next as number) < 1 || record.checksum !== checksumOfNext(record.next as number)) {
      throw new CorruptStateError(path, 'the checkpoint id counter failed its checksum');
    }
    return new FileSystemCheckpointIDCounter(path, record.next as number);
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
    const record: CounterRecord = { formatVersion: CHECKPOINT_ID_COUNTER_FORMAT_VERSION, next, checksum: checksumOfNext(next) };
    await writeFileAtomically(this.path, new TextEncoder().encode(JSON.stringify(record)));
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.chain.then(work);
    this.chain = result.catch(() => undefined);
    return result;
  }
}
