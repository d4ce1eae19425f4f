import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { CheckpointId, JobId } from '../core/ids.js';
import type { JsonValue } from '../core/json.js';
import type { LeaderSession } from './leader-session.js';
import type { StoredJobGraph } from './stored-job-graph.js';

/*
 * What each mode (none, filesystem, postgres) implements. The behaviour on top (leader election timing, the
 * completed checkpoint store's rules, the id counter's shutdown, job graph change events) is shared, so the three
 * modes differ only in how they make these operations atomic and durable.
 *
 * "Fenced" operations take the caller's LeaderSession and, in the same atomic step as the write, check that the
 * session is still the current leadership of its scope (same generation, same holder); otherwise they throw
 * StaleLeaderError and change nothing.
 */

/** The current leadership of a scope, as stored. */
export interface LeaseRecord {
  readonly scope: string;
  readonly generation: number;
  /** The contender holding the lease, or null when it was released. */
  readonly holder: string | null;
  /** Bumped by every renewal: standbys watch it change, by their own clock (no clock-skew assumptions). */
  readonly renewCount: number;
  /** Identifies the holder's process (or connection) for {@link LeaseTable.isHolderAlive}; opaque outside its mode. */
  readonly holderLiveness: string | null;
}

/** The result of a renewal: done, or the lease is no longer this session's. */
export type LeaseRenewal = { readonly renewed: true } | { readonly renewed: false; readonly current: LeaseRecord | null };

export interface LeaseTable {
  read(scope: string): Promise<LeaseRecord | null>;
  /**
   * Compare-and-swap: when the scope's lease is still exactly `expected` (null: there is none), makes `contenderId` its
   * holder with the next generation and returns the new session; otherwise returns null and changes nothing.
   */
  tryAcquire(scope: string, contenderId: string, expected: LeaseRecord | null): Promise<LeaderSession | null>;
  /** Bumps the renew count if `session` is still current. */
  renew(session: LeaderSession): Promise<LeaseRenewal>;
  /** Gives the lease up (holder null, generation kept) if `session` is still current, so a standby takes over at once. */
  release(session: LeaderSession): Promise<void>;
  /** False only when the holder's process (or its database session) is known to be gone. */
  isHolderAlive(record: LeaseRecord): Promise<boolean>;
}

export interface CheckpointIdTable {
  /** Fenced: returns the job's next id (1 when there is none yet) and advances it, atomically. */
  getAndIncrement(session: LeaderSession, jobId: JobId): Promise<number>;
  /** The job's next id (1 when there is none yet). */
  get(jobId: JobId): Promise<number>;
  /** Fenced: moves the next id to `next`; throws RangeError (changing nothing) when that would move it backwards. */
  setCount(session: LeaderSession, jobId: JobId, next: number): Promise<void>;
  /** Fenced: forgets the job's counter. */
  remove(session: LeaderSession, jobId: JobId): Promise<void>;
}

/** A completed checkpoint as the table holds it. */
export interface CheckpointEntry {
  readonly checkpoint: CompletedCheckpoint;
  /** True once the leader's store let go of it; the row stays while another store instance still holds a lock on it. */
  readonly subsumed: boolean;
}

/** One atomic change of a job's completed checkpoints, made by one store instance. */
export interface CheckpointTableChange {
  /** A new checkpoint, locked by the instance. */
  readonly insert?: CompletedCheckpoint;
  /** Checkpoints the instance now holds a lock on. */
  readonly lock?: readonly CheckpointId[];
  /** Checkpoints to mark subsumed; the instance drops its lock on them. */
  readonly subsume?: readonly CheckpointId[];
  /** Checkpoints to forget without discarding their state (their rows and every lock on them go). */
  readonly remove?: readonly CheckpointId[];
}

export interface CheckpointRecordTable {
  /**
   * Every checkpoint of the job, ascending by id, each verified. With a session the read is fenced.
   * @throws CorruptStateError naming the first entry that cannot be verified.
   */
  read(session: LeaderSession | null, jobId: JobId): Promise<CheckpointEntry[]>;
  /**
   * Fenced and atomic: applies `change` for store instance `storeInstance`, then deletes every subsumed checkpoint of
   * the job that no live store instance holds a lock on, and returns the ids it deleted (ascending). The caller
   * discards the state of exactly those.
   */
  apply(session: LeaderSession, jobId: JobId, storeInstance: string, change: CheckpointTableChange): Promise<CheckpointId[]>;
  /** Not fenced: drops every lock `storeInstance` holds on the job's checkpoints (deletes nothing else). */
  release(jobId: JobId, storeInstance: string): Promise<void>;
}

export interface JobGraphTable {
  /** Fenced: stores (or replaces) the job's graph with the next revision. */
  put(session: LeaderSession, jobId: JobId, graph: JsonValue): Promise<StoredJobGraph>;
  /** @throws CorruptStateError naming the entry when it cannot be verified. */
  get(jobId: JobId): Promise<StoredJobGraph | null>;
  /** The revision of every stored graph, by job id. */
  revisions(): Promise<ReadonlyMap<JobId, number>>;
  /** Fenced: forgets the job's graph; false when there was none. */
  remove(session: LeaderSession, jobId: JobId): Promise<boolean>;
  /** Calls `onPossibleChange` whenever another instance may have changed the graphs; returns a function that stops it. */
  watch(onPossibleChange: () => void): () => void;
}

/** One mode's storage for everything that must outlive a process, as seen from one services instance. */
export interface HighAvailabilityBackend {
  /** e.g. `filesystem:/var/ha` or `postgres:ha/"public"."nact_checkpoint_"`. */
  readonly description: string;
  readonly leases: LeaseTable;
  readonly checkpointIds: CheckpointIdTable;
  readonly checkpoints: CheckpointRecordTable;
  readonly jobGraphs: JobGraphTable;
  /** Ends this instance: its process-liveness marks go, so other instances treat its leases and locks as dead. */
  close(): Promise<void>;
}
