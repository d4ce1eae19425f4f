import { freeze } from 'immer';
import { asCheckpointId, type CheckpointId, type JobId } from '../../core/ids.js';
import type { JsonValue } from '../../core/json.js';
import { assertValidNextCount } from '../../checkpoint/checkpoint-id-counter.js';
import { assertCurrent, isCurrent } from '../fencing.js';
import type {
  CheckpointEntry, CheckpointIdTable, CheckpointRecordTable, CheckpointTableChange, HighAvailabilityBackend, JobGraphTable, LeaseRecord, LeaseRenewal, LeaseTable,
} from '../high-availability-backend.js';
import type { LeaderSession } from '../leader-session.js';
import type { StoredJobGraph } from '../stored-job-graph.js';
import type { InMemoryCheckpointRow, InMemoryHighAvailabilityData } from './in-memory-high-availability-data.js';

/**
 * The `none` mode: every table is a map in an {@link InMemoryHighAvailabilityData}. JavaScript runs one callback at a
 * time, so each operation (fence check included) is atomic without locks. A services instance is alive until it
 * closes (or {@link InMemoryHighAvailabilityData.simulateCrash}).
 */
export class InMemoryHighAvailabilityBackend implements HighAvailabilityBackend {
  readonly description = 'memory';
  readonly leases: LeaseTable;
  readonly checkpointIds: CheckpointIdTable;
  readonly checkpoints: CheckpointRecordTable;
  readonly jobGraphs: JobGraphTable;

  constructor(private readonly data: InMemoryHighAvailabilityData, private readonly instanceId: string) {
    data.liveInstances.add(instanceId);
    this.leases = new InMemoryLeases(data, instanceId);
    this.checkpointIds = new InMemoryCheckpointIds(data);
    this.checkpoints = new InMemoryCheckpoints(data, instanceId);
    this.jobGraphs = new InMemoryJobGraphs(data);
  }

  async close(): Promise<void> {
    this.data.liveInstances.delete(this.instanceId);
  }
}

function fence(data: InMemoryHighAvailabilityData, session: LeaderSession, operation: string): void {
  assertCurrent(session, data.leases.get(session.scope) ?? null, operation);
}

class InMemoryLeases implements LeaseTable {
  constructor(private readonly data: InMemoryHighAvailabilityData, private readonly instanceId: string) {}

  async read(scope: string): Promise<LeaseRecord | null> {
    return this.data.leases.get(scope) ?? null;
  }

  async tryAcquire(scope: string, contenderId: string, expected: LeaseRecord | null): Promise<LeaderSession | null> {
    const current = this.data.leases.get(scope) ?? null;
    if (current !== expected) return null;
    const generation = (current?.generation ?? 0) + 1;
    this.data.leases.set(scope, { scope, generation, holder: contenderId, renewCount: 0, holderLiveness: this.instanceId });
    return { scope, generation, contenderId };
  }

  async renew(session: LeaderSession): Promise<LeaseRenewal> {
    const current = this.data.leases.get(session.scope) ?? null;
    if (current === null || !isCurrent(session, current)) return { renewed: false, current };
    this.data.leases.set(session.scope, { ...current, renewCount: current.renewCount + 1 });
    return { renewed: true };
  }

  async release(session: LeaderSession): Promise<void> {
    const current = this.data.leases.get(session.scope) ?? null;
    if (current !== null && isCurrent(session, current)) this.data.leases.set(session.scope, { ...current, holder: null, holderLiveness: null });
  }

  async isHolderAlive(record: LeaseRecord): Promise<boolean> {
    return record.holderLiveness !== null && this.data.liveInstances.has(record.holderLiveness);
  }
}

class InMemoryCheckpointIds implements CheckpointIdTable {
  constructor(private readonly data: InMemoryHighAvailabilityData) {}

  async getAndIncrement(session: LeaderSession, jobId: JobId): Promise<number> {
    fence(this.data, session, `checkpoint id counter getAndIncrement for job '${jobId}'`);
    const next = this.data.counters.get(jobId) ?? 1;
    this.data.counters.set(jobId, next + 1);
    return next;
  }

  async get(jobId: JobId): Promise<number> {
    return this.data.counters.get(jobId) ?? 1;
  }

  async setCount(session: LeaderSession, jobId: JobId, next: number): Promise<void> {
    fence(this.data, session, `checkpoint id counter setCount for job '${jobId}'`);
    assertValidNextCount(next, this.data.counters.get(jobId) ?? 1);
    this.data.counters.set(jobId, next);
  }

  async remove(session: LeaderSession, jobId: JobId): Promise<void> {
    fence(this.data, session, `checkpoint id counter removal for job '${jobId}'`);
    this.data.counters.delete(jobId);
  }
}

class InMemoryCheckpoints implements CheckpointRecordTable {
  constructor(private readonly data: InMemoryHighAvailabilityData, private readonly instanceId: string) {}

  async read(session: LeaderSession | null, jobId: JobId): Promise<CheckpointEntry[]> {
    if (session !== null) fence(this.data, session, `reading the completed checkpoints of job '${jobId}'`);
    return [...this.rows(jobId).values()]
      .map((row) => ({ checkpoint: row.checkpoint, subsumed: row.subsumed }))
      .sort((a, b) => a.checkpoint.checkpointId - b.checkpoint.checkpointId);
  }

  async apply(session: LeaderSession, jobId: JobId, storeInstance: string, change: CheckpointTableChange): Promise<CheckpointId[]> {
    fence(this.data, session, `changing the completed checkpoints of job '${jobId}'`);
    const rows = this.rows(jobId);
    if (change.insert !== undefined) {
      const id = change.insert.checkpointId;
      if (rows.has(id)) throw new Error(`completed checkpoint ${id} of job '${jobId}' is already stored`);
      rows.set(id, { checkpoint: freeze(structuredClone(change.insert), true), subsumed: false, locks: new Map([[storeInstance, this.instanceId]]) });
    }
    for (const id of change.lock ?? []) rows.get(id)?.locks.set(storeInstance, this.instanceId);
    for (const id of change.subsume ?? []) {
      const row = rows.get(id);
      if (row === undefined) continue;
      row.subsumed = true;
      row.locks.delete(storeInstance);
    }
    for (const id of change.remove ?? []) rows.delete(id);
    const freed: CheckpointId[] = [];
    for (const [id, row] of [...rows].sort(([a], [b]) => a - b)) {
      if (!row.subsumed) continue;
      for (const [instance, owner] of row.locks) if (!this.data.liveInstances.has(owner)) row.locks.delete(instance);
      if (row.locks.size === 0) {
        rows.delete(id);
        freed.push(asCheckpointId(id));
      }
    }
    return freed;
  }

  async release(jobId: JobId, storeInstance: string): Promise<void> {
    for (const row of this.rows(jobId).values()) row.locks.delete(storeInstance);
  }

  private rows(jobId: JobId): Map<number, InMemoryCheckpointRow> {
    let rows = this.data.checkpoints.get(jobId);
    if (rows === undefined) {
      rows = new Map();
      this.data.checkpoints.set(jobId, rows);
    }
    return rows;
  }
}

class InMemoryJobGraphs implements JobGraphTable {
  constructor(private readonly data: InMemoryHighAvailabilityData) {}

  async put(session: LeaderSession, jobId: JobId, graph: JsonValue): Promise<StoredJobGraph> {
    fence(this.data, session, `storing the job graph of job '${jobId}'`);
    const stored: StoredJobGraph = freeze({ jobId, revision: (this.data.jobGraphs.get(jobId)?.revision ?? 0) + 1, graph: structuredClone(graph) }, true);
    this.data.jobGraphs.set(jobId, stored);
    this.signal();
    return stored;
  }

  async get(jobId: JobId): Promise<StoredJobGraph | null> {
    return this.data.jobGraphs.get(jobId) ?? null;
  }

  async revisions(): Promise<ReadonlyMap<JobId, number>> {
    return new Map([...this.data.jobGraphs].map(([jobId, stored]) => [jobId, stored.revision]));
  }

  async remove(session: LeaderSession, jobId: JobId): Promise<boolean> {
    fence(this.data, session, `removing the job graph of job '${jobId}'`);
    const removed = this.data.jobGraphs.delete(jobId);
    if (removed) this.signal();
    return removed;
  }

  watch(onPossibleChange: () => void): () => void {
    const listener = (): void => onPossibleChange();
    this.data.jobGraphListeners.add(listener);
    return () => this.data.jobGraphListeners.delete(listener);
  }

  private signal(): void {
    for (const listener of [...this.data.jobGraphListeners]) listener();
  }
}
