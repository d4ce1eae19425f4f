import { randomUUID } from 'node:crypto';
import { asJobId } from '../core/ids.js';
import { CheckpointRecoveryFactory } from './checkpoint-recovery-factory.js';
import { FileSystemHighAvailabilityBackend } from './filesystem/filesystem-high-availability-backend.js';
import type { HighAvailabilityBackend } from './high-availability-backend.js';
import { HighAvailabilityMode } from './high-availability-mode.js';
import { assertSafeHighAvailabilityName } from './high-availability-names.js';
import { validateHighAvailabilityOptions, type HighAvailabilityOptions, type LeaseSettings } from './high-availability-options.js';
import { JobGraphStore } from './job-graph-store.js';
import { LeaderElection } from './leader-election.js';
import { InMemoryHighAvailabilityBackend } from './memory/in-memory-high-availability-backend.js';
import { InMemoryHighAvailabilityData } from './memory/in-memory-high-availability-data.js';
import { PostgresHighAvailabilityBackend } from './postgres/postgres-high-availability-backend.js';

/**
 * Everything of a job manager process that must outlive it (Flink's HighAvailabilityServices): leader elections with
 * fencing, the job graph store, and per job the checkpoint id counter and completed checkpoint store. Create one per
 * process with {@link createHighAvailabilityServices}; several processes (or, in specs, several instances) on the
 * same directory or database see the same data.
 */
export class HighAvailabilityServices {
  /** Names this instance in leases and locks. */
  readonly instanceId: string;
  readonly jobGraphStore: JobGraphStore;
  private readonly elections = new Set<LeaderElection>();
  private closed = false;

  private constructor(
    readonly mode: HighAvailabilityMode,
    instanceId: string,
    private readonly backend: HighAvailabilityBackend,
    private readonly lease: LeaseSettings,
  ) {
    this.instanceId = instanceId;
    this.jobGraphStore = new JobGraphStore(backend.jobGraphs);
  }

  /** @internal Use {@link createHighAvailabilityServices}. */
  static async create(options: HighAvailabilityOptions): Promise<HighAvailabilityServices> {
    const lease = validateHighAvailabilityOptions(options);
    const instanceId = randomUUID();
    let backend: HighAvailabilityBackend;
    switch (options.mode) {
      case HighAvailabilityMode.NONE:
        backend = new InMemoryHighAvailabilityBackend(options.data ?? new InMemoryHighAvailabilityData(), instanceId);
        break;
      case HighAvailabilityMode.FILESYSTEM:
        backend = await FileSystemHighAvailabilityBackend.open(options, instanceId, lease.clock);
        break;
      case HighAvailabilityMode.POSTGRES:
        backend = await PostgresHighAvailabilityBackend.open(options, lease);
        break;
    }
    return new HighAvailabilityServices(options.mode, instanceId, backend, lease);
  }

  /** e.g. `filesystem:/var/ha`, for messages. */
  get description(): string {
    return this.backend.description;
  }

  /**
   * A new contender for the leadership of `scope` (the cluster, e.g. `cluster`, or one job, e.g. `job-orders`);
   * call `start(contender)` on it. Every contender is a new one, with its own id.
   * @throws InvalidOptionError when `scope` is not 1 to 200 letters, digits, '.', '_' or '-'; Error after close.
   */
  createLeaderElection(scope: string): LeaderElection {
    this.assertOpen();
    assertSafeHighAvailabilityName('scope', scope);
    const election = new LeaderElection(scope, this.backend.leases, this.lease, (stopped) => this.elections.delete(stopped));
    this.elections.add(election);
    return election;
  }

  /**
   * The job's checkpoint recovery factory: its id counter and completed checkpoint store.
   * @throws InvalidOptionError for a job id that is not 1 to 200 letters, digits, '.', '_' or '-'.
   */
  checkpointRecovery(jobId: string): CheckpointRecoveryFactory {
    this.assertOpen();
    return new CheckpointRecoveryFactory(asJobId(assertSafeHighAvailabilityName('jobId', jobId)), this.backend);
  }

  /**
   * Stops every leader election of this instance (leaders release their leases, so standbys take over at once),
   * closes job graph watches, and ends this instance's connections and liveness marks.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.elections].map((election) => election.stop()));
    this.jobGraphStore.closeWatches();
    await this.backend.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`the high-availability services (${this.backend.description}) were closed; create new ones`);
  }
}

/**
 * Creates the high-availability services of one process: `none` (memory, specs), `filesystem` (one machine, a
 * directory) or `postgres` (several machines; needs the optional peer dependency `pg`).
 * @throws InvalidOptionError naming the bad field; PgNotInstalledError when postgres mode lacks `pg`;
 *   HighAvailabilityStorageError when the directory or database cannot be set up; UnsupportedSchemaVersionError
 *   when the database holds tables of a newer version.
 */
export function createHighAvailabilityServices(options: HighAvailabilityOptions): Promise<HighAvailabilityServices> {
  return HighAvailabilityServices.create(options);
}
