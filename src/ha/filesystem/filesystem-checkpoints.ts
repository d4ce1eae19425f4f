import { readdir, unlink } from 'node:fs/promises';
import { asCheckpointId, type CheckpointId, type JobId } from '../../core/ids.js';
import { writeFileAtomically } from '../../storage/atomic-file-writer.js';
import { checksumOf } from '../../storage/checksum.js';
import { CorruptStateError } from '../../storage/corrupt-state-error.js';
import { checkpointFromRecord } from '../checkpoint-record.js';
import type { CheckpointEntry, CheckpointRecordTable, CheckpointTableChange } from '../high-availability-backend.js';
import { decodeRecordFile, encodeRecordFile, HighAvailabilityRecordKind } from '../high-availability-record.js';
import type { LeaderSession } from '../leader-session.js';
import type { FileSystemFence } from './filesystem-fence.js';
import { readIfPresent, readRecordFile, writeRecordFile } from './filesystem-records.js';
import { isProcessAlive, isProcessIdentity, type ProcessIdentity } from './process-identity.js';

interface IndexLock {
  readonly storeInstance: string;
  readonly process: ProcessIdentity;
}

interface IndexEntry {
  readonly checkpointId: number;
  /** SHA-256 of the entry file's bytes: an entry file replaced or damaged after the fact is refused. */
  readonly checksum: string;
  readonly subsumed: boolean;
  readonly locks: readonly IndexLock[];
}

interface CheckpointIndex {
  readonly jobId: string;
  readonly entries: readonly IndexEntry[];
}

const ENTRY_FILE = /^(\d+)\.checkpoint$/;

/**
 * The filesystem mode's fenced record of a job's completed checkpoints: `completed-checkpoints/<id>.checkpoint` holds
 * each record (versioned, checksummed) and `completed-checkpoints/index` lists the completed ones with their checksum,
 * subsumed flag and locks. Only the index is trusted: an entry file it does not list (or a `chk-<id>/_metadata` in
 * checkpoint storage, written by a stale leader after it lost leadership) is never recovered. The index is replaced
 * atomically inside the fence, so an add and its subsumption are one change.
 */
export class FileSystemCheckpoints implements CheckpointRecordTable {
  constructor(private readonly fence: FileSystemFence) {}

  read(session: LeaderSession | null, jobId: JobId): Promise<CheckpointEntry[]> {
    const operation = `reading the completed checkpoints of job '${jobId}'`;
    if (session !== null) return this.fence.fenced(session, operation, this.lock(jobId), () => this.readEntries(jobId));
    // Under the index's lock, so that entry files removed right after an index change are never looked for.
    return this.fence.lockedAt(this.lock(jobId), operation, () => this.readEntries(jobId));
  }

  apply(session: LeaderSession, jobId: JobId, storeInstance: string, change: CheckpointTableChange): Promise<CheckpointId[]> {
    return this.fence.fenced(session, `changing the completed checkpoints of job '${jobId}'`, this.lock(jobId), async () => {
      const layout = this.fence.layout;
      const myLock: IndexLock = { storeInstance, process: this.fence.identity };
      let entries = [...(await this.readIndex(jobId)).entries];
      if (change.insert !== undefined) {
        const id = change.insert.checkpointId;
        if (entries.some((entry) => entry.checkpointId === id)) throw new Error(`completed checkpoint ${id} of job '${jobId}' is already stored`);
        const bytes = encodeRecordFile(HighAvailabilityRecordKind.CHECKPOINT, change.insert);
        await writeFileAtomically(layout.checkpointEntry(jobId, id), bytes);
        entries.push({ checkpointId: id, checksum: checksumOf(bytes), subsumed: false, locks: [myLock] });
      }
      const locking = new Set<number>(change.lock ?? []);
      const subsuming = new Set<number>(change.subsume ?? []);
      const removing = new Set<number>(change.remove ?? []);
      const withoutMine = (locks: readonly IndexLock[]): IndexLock[] => locks.filter((lock) => lock.storeInstance !== storeInstance);
      entries = entries
        .filter((entry) => !removing.has(entry.checkpointId))
        .map((entry) => {
          if (subsuming.has(entry.checkpointId)) return { ...entry, subsumed: true, locks: withoutMine(entry.locks) };
          if (locking.has(entry.checkpointId)) return { ...entry, locks: [...withoutMine(entry.locks), myLock] };
          return entry;
        })
        .map((entry) => (entry.subsumed ? { ...entry, locks: entry.locks.filter((lock) => isProcessAlive(lock.process)) } : entry));
      const freed = entries.filter((entry) => entry.subsumed && entry.locks.length === 0).map((entry) => entry.checkpointId);
      entries = entries.filter((entry) => !(entry.subsumed && entry.locks.length === 0)).sort((a, b) => a.checkpointId - b.checkpointId);
      await writeRecordFile(layout.checkpointIndex(jobId), HighAvailabilityRecordKind.CHECKPOINT_INDEX, { jobId, entries } satisfies CheckpointIndex);
      await this.removeUnlistedEntryFiles(jobId, new Set(entries.map((entry) => entry.checkpointId)));
      return freed.sort((a, b) => a - b).map(asCheckpointId);
    });
  }

  async release(jobId: JobId, storeInstance: string): Promise<void> {
    // Not fenced (a stale instance may drop its own locks), but under the index's lock like every change of the index.
    await this.fence.lockedAt(this.lock(jobId), `releasing the checkpoint locks of a store of job '${jobId}'`, async () => {
      const index = await this.readIndex(jobId);
      if (!index.entries.some((entry) => entry.locks.some((lock) => lock.storeInstance === storeInstance))) return;
      const entries = index.entries.map((entry) => ({ ...entry, locks: entry.locks.filter((lock) => lock.storeInstance !== storeInstance) }));
      await writeRecordFile(this.fence.layout.checkpointIndex(jobId), HighAvailabilityRecordKind.CHECKPOINT_INDEX, { jobId, entries } satisfies CheckpointIndex);
    });
  }

  private lock(jobId: JobId): string {
    return `${this.fence.layout.checkpointIndex(jobId)}.lock`;
  }

  private async readEntries(jobId: JobId): Promise<CheckpointEntry[]> {
    const entries: CheckpointEntry[] = [];
    for (const entry of (await this.readIndex(jobId)).entries) {
      const path = this.fence.layout.checkpointEntry(jobId, entry.checkpointId);
      const bytes = await readIfPresent(path);
      if (bytes === null) throw new CorruptStateError(path, `completed checkpoint ${entry.checkpointId} is listed in the index but its entry file is missing`);
      if (checksumOf(bytes) !== entry.checksum) throw new CorruptStateError(path, `the entry file does not match the checksum the index recorded for checkpoint ${entry.checkpointId}`);
      const checkpoint = checkpointFromRecord(decodeRecordFile(bytes, path, HighAvailabilityRecordKind.CHECKPOINT), path, jobId, entry.checkpointId);
      entries.push({ checkpoint, subsumed: entry.subsumed });
    }
    return entries;
  }

  private async readIndex(jobId: JobId): Promise<CheckpointIndex> {
    const path = this.fence.layout.checkpointIndex(jobId);
    const value = await readRecordFile(path, HighAvailabilityRecordKind.CHECKPOINT_INDEX);
    if (value === null) return { jobId, entries: [] };
    if (!isCheckpointIndex(value) || value.jobId !== jobId) throw new CorruptStateError(path, `not the completed checkpoint index of job '${jobId}'`);
    return value;
  }

  /** Entry files the index does not list: written by an add that failed or was rejected, or released checkpoints. */
  private async removeUnlistedEntryFiles(jobId: JobId, listed: ReadonlySet<number>): Promise<void> {
    const names = await readdir(this.fence.layout.checkpoints(jobId)).catch(() => [] as string[]);
    for (const name of names) {
      const match = ENTRY_FILE.exec(name);
      if (match?.[1] !== undefined && !listed.has(Number(match[1]))) await unlink(this.fence.layout.checkpointEntry(jobId, Number(match[1]))).catch(() => undefined);
    }
  }
}

function isCheckpointIndex(value: unknown): value is CheckpointIndex {
  if (typeof value !== 'object' || value === null) return false;
  const index = value as Record<string, unknown>;
  return typeof index['jobId'] === 'string' && Array.isArray(index['entries']) && index['entries'].every((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return false;
    const fields = entry as Record<string, unknown>;
    return Number.isSafeInteger(fields['checkpointId']) && typeof fields['checksum'] === 'string' && typeof fields['subsumed'] === 'boolean'
      && Array.isArray(fields['locks']) && fields['locks'].every((lock: unknown) =>
        typeof lock === 'object' && lock !== null && typeof (lock as Record<string, unknown>)['storeInstance'] === 'string' && isProcessIdentity((lock as Record<string, unknown>)['process']));
  });
}
