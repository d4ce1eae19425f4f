import type { CompletedCheckpoint } from '../../checkpoint/completed-checkpoint.js';
import type { JobId } from '../../core/ids.js';
import type { LeaseRecord } from '../high-availability-backend.js';
import type { StoredJobGraph } from '../stored-job-graph.js';

/** A completed checkpoint as the in-memory table keeps it. */
export interface InMemoryCheckpointRow {
  readonly checkpoint: CompletedCheckpoint;
  subsumed: boolean;
  /** Store instance → the services instance it belongs to (whose liveness decides whether the lock still counts). */
  readonly locks: Map<string, string>;
}

/**
 * Everything the `none` mode keeps, shared by the services instances given the same object: in-process contenders
 * and stores only, gone with the process. For specs: several services instances on one object behave like several
 * processes on one database.
 */
export class InMemoryHighAvailabilityData {
  /** @internal */ readonly leases = new Map<string, LeaseRecord>();
  /** @internal */ readonly liveInstances = new Set<string>();
  /** @internal */ readonly counters = new Map<JobId, number>();
  /** @internal */ readonly checkpoints = new Map<JobId, Map<number, InMemoryCheckpointRow>>();
  /** @internal */ readonly jobGraphs = new Map<JobId, StoredJobGraph>();
  /** @internal */ readonly jobGraphListeners = new Set<() => void>();

  /**
   * Makes every lease and lock of the services instance `instanceId` look dead to the others, as if its process had
   * been killed: standbys take over at their next check and its locks stop pinning checkpoints.
   */
  simulateCrash(instanceId: string): void {
    this.liveInstances.delete(instanceId);
  }
}
