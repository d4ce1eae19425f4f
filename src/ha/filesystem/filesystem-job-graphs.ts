import { readdir, stat } from 'node:fs/promises';
import type { Cancellable, Clock } from '../../actor/clock.js';
import { asJobId, type JobId } from '../../core/ids.js';
import type { JsonValue } from '../../core/json.js';
import { CorruptStateError } from '../../storage/corrupt-state-error.js';
import type { JobGraphTable } from '../high-availability-backend.js';
import { HighAvailabilityRecordKind } from '../high-availability-record.js';
import { WriteOutcome } from '../high-availability-storage-error.js';
import type { LeaderSession } from '../leader-session.js';
import type { StoredJobGraph } from '../stored-job-graph.js';
import type { FileSystemFence } from './filesystem-fence.js';
import { readRecordFile, removeFileDurably, writeRecordFile } from './filesystem-records.js';

const GRAPH_FILE = /^(.+)\.graph$/;

/**
 * Job graphs in `job-graphs/<jobId>.graph` (versioned, checksummed, replaced atomically). Other processes' changes are
 * found by a poll on the injected clock every `pollInterval`; this instance's own writes signal at once. Revisions
 * are cached by file identity (inode, size, modification time), so a poll reads only files that changed.
 */
export class FileSystemJobGraphs implements JobGraphTable {
  private readonly listeners = new Set<() => void>();
  private readonly revisionCache = new Map<string, { readonly fingerprint: string; readonly revision: number }>();

  constructor(private readonly fence: FileSystemFence, private readonly clock: Clock, private readonly pollInterval: number) {}

  put(session: LeaderSession, jobId: JobId, graph: JsonValue): Promise<StoredJobGraph> {
    const path = this.fence.layout.jobGraph(jobId);
    return this.fence.fenced(session, `storing the job graph of job '${jobId}'`, `${path}.lock`, async () => {
      const previous = await this.read(jobId).catch((error: unknown) => {
        if (error instanceof CorruptStateError) return null;
        throw error;
      });
      const stored: StoredJobGraph = { jobId, revision: (previous?.revision ?? 0) + 1, graph };
      await writeRecordFile(path, HighAvailabilityRecordKind.JOB_GRAPH, stored);
      this.signal();
      return stored;
    });
  }

  async get(jobId: JobId): Promise<StoredJobGraph | null> {
    try {
      return await this.read(jobId);
    } catch (error) {
      throw this.fence.failure(`reading the job graph of job '${jobId}'`, WriteOutcome.NOT_APPLIED, error);
    }
  }

  async revisions(): Promise<ReadonlyMap<JobId, number>> {
    try {
      const names = await readdir(this.fence.layout.jobGraphs).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [] as string[];
        throw error;
      });
      const revisions = new Map<JobId, number>();
      for (const name of names.sort()) {
        const match = GRAPH_FILE.exec(name);
        if (match?.[1] === undefined) continue;
        const revision = await this.revisionOf(asJobId(match[1]));
        if (revision !== null) revisions.set(asJobId(match[1]), revision);
      }
      return revisions;
    } catch (error) {
      throw this.fence.failure('listing the job graphs', WriteOutcome.NOT_APPLIED, error);
    }
  }

  remove(session: LeaderSession, jobId: JobId): Promise<boolean> {
    const path = this.fence.layout.jobGraph(jobId);
    return this.fence.fenced(session, `removing the job graph of job '${jobId}'`, `${path}.lock`, async () => {
      const existed = await stat(path).then(() => true, () => false);
      if (existed) {
        await removeFileDurably(path);
        this.signal();
      }
      return existed;
    });
  }

  watch(onPossibleChange: () => void): () => void {
    let timer: Cancellable | null = null;
    let stopped = false;
    const listener = (): void => onPossibleChange();
    const poll = (): void => {
      timer = this.clock.schedule(this.pollInterval, () => {
        if (stopped) return;
        onPossibleChange();
        poll();
      });
    };
    this.listeners.add(listener);
    poll();
    return () => {
      stopped = true;
      timer?.cancel();
      this.listeners.delete(listener);
    };
  }

  private signal(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private async read(jobId: JobId): Promise<StoredJobGraph | null> {
    const path = this.fence.layout.jobGraph(jobId);
    const value = await readRecordFile(path, HighAvailabilityRecordKind.JOB_GRAPH);
    if (value === null) return null;
    const stored = value as Partial<StoredJobGraph>;
    if (typeof stored !== 'object' || stored === null || stored.jobId !== jobId || !Number.isSafeInteger(stored.revision) || !('graph' in stored)) {
      throw new CorruptStateError(path, `not a job graph record of job '${jobId}'`);
    }
    return stored as StoredJobGraph;
  }

  private async revisionOf(jobId: JobId): Promise<number | null> {
    const path = this.fence.layout.jobGraph(jobId);
    const info = await stat(path).catch(() => null);
    if (info === null) return null;
    const fingerprint = `${info.ino}/${info.size}/${info.mtimeMs}`;
    const cached = this.revisionCache.get(jobId);
    if (cached?.fingerprint === fingerprint) return cached.revision;
    const stored = await this.read(jobId);
    if (stored === null) return null;
    this.revisionCache.set(jobId, { fingerprint, revision: stored.revision });
    return stored.revision;
  }
}
