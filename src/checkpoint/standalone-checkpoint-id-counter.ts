import { asCheckpointId, type CheckpointId } from '../core/ids.js';
import type { JobStatus } from '../core/job-status.js';
import { assertValidNextCount, CheckpointIDCounterShutdownError, type CheckpointIDCounter } from './checkpoint-id-counter.js';

/** A checkpoint id counter kept in memory: for jobs whose coordinator never fails over to another process. */
export class StandaloneCheckpointIDCounter implements CheckpointIDCounter {
  private next = 1;
  private stoppedWith: JobStatus | null = null;

  async getAndIncrement(): Promise<CheckpointId> {
    if (this.stoppedWith !== null) throw new CheckpointIDCounterShutdownError(this.stoppedWith);
    return asCheckpointId(this.next++);
  }

  async get(): Promise<CheckpointId> {
    return asCheckpointId(this.next);
  }

  async setCount(next: number): Promise<void> {
    assertValidNextCount(next, this.next);
    this.next = next;
  }

  async shutdown(jobStatus: JobStatus): Promise<void> {
    this.stoppedWith = jobStatus;
  }
}
