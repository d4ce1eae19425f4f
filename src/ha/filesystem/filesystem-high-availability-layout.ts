import { join } from 'node:path';
import type { JobId } from '../../core/ids.js';

/**
 * Where the filesystem mode keeps each record under its directory:
 * `leases/<scope>.lease` (+ `.lock`), `jobs/<jobId>/checkpoint-id-counter`,
 * `jobs/<jobId>/completed-checkpoints/index` and `<id>.checkpoint`, `job-graphs/<jobId>.graph`.
 */
export class FileSystemHighAvailabilityLayout {
  constructor(readonly directory: string) {}

  get leases(): string {
    return join(this.directory, 'leases');
  }

  lease(scope: string): string {
    return join(this.leases, `${scope}.lease`);
  }

  lock(scope: string): string {
    return join(this.leases, `${scope}.lock`);
  }

  /** The base directory handed to FileSystemCheckpointIDCounter: it keeps `<base>/<jobId>/checkpoint-id-counter`. */
  get counterBase(): string {
    return join(this.directory, 'jobs');
  }

  counter(jobId: JobId): string {
    return join(this.counterBase, jobId, 'checkpoint-id-counter');
  }

  checkpoints(jobId: JobId): string {
    return join(this.directory, 'jobs', jobId, 'completed-checkpoints');
  }

  checkpointIndex(jobId: JobId): string {
    return join(this.checkpoints(jobId), 'index');
  }

  checkpointEntry(jobId: JobId, checkpointId: number): string {
    return join(this.checkpoints(jobId), `${checkpointId}.checkpoint`);
  }

  get jobGraphs(): string {
    return join(this.directory, 'job-graphs');
  }

  jobGraph(jobId: JobId): string {
    return join(this.jobGraphs, `${jobId}.graph`);
  }
}
