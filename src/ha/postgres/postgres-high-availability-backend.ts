import type Pg from 'pg';
import type { Clock } from '../../actor/clock.js';
import type { HighAvailabilityBackend } from '../high-availability-backend.js';
import type { LeaseSettings, PostgresHighAvailabilityOptions } from '../high-availability-options.js';
import { HighAvailabilityStorageError, WriteOutcome } from '../high-availability-storage-error.js';
import { loadPg } from './load-pg.js';
import { PostgresCheckpointIds } from './postgres-checkpoint-ids.js';
import { PostgresCheckpoints } from './postgres-checkpoints.js';
import { PostgresConnection } from './postgres-connection.js';
import { PostgresJobGraphs } from './postgres-job-graphs.js';
import { PostgresLeases } from './postgres-leases.js';
import { PostgresLiveness } from './postgres-liveness.js';
import { PostgresTables } from './postgres-tables.js';
import { UnsupportedSchemaVersionError } from './unsupported-schema-version-error.js';

/**
 * The `postgres` mode: several processes or machines sharing one database. Tables live in a configurable schema under
 * a name prefix and are created on first use with a schema version row. Each services instance keeps one database
 * session of its own (see PostgresLiveness) that proves it is alive and receives job graph notifications; everything
 * else runs on the pool. Fenced writes check the lease row in the same transaction (see assertCurrentLeader).
 */
export class PostgresHighAvailabilityBackend implements HighAvailabilityBackend {
  readonly description: string;
  readonly leases: PostgresLeases;
  readonly checkpointIds: PostgresCheckpointIds;
  readonly checkpoints: PostgresCheckpoints;
  readonly jobGraphs: PostgresJobGraphs;
  readonly liveness: PostgresLiveness;

  private constructor(
    private readonly pool: Pg.Pool,
    private readonly ownsPool: boolean,
    private readonly poolErrorListener: () => void,
    connection: PostgresConnection,
    tables: PostgresTables,
    clock: Clock,
    reconnectDelay: number,
  ) {
    this.description = connection.description;
    this.jobGraphs = new PostgresJobGraphs(connection, tables);
    this.liveness = new PostgresLiveness(pool, tables.jobGraphChannel, clock, reconnectDelay, () => this.jobGraphs.signal(), () => this.jobGraphs.signal());
    this.leases = new PostgresLeases(connection, tables, this.liveness);
    this.checkpointIds = new PostgresCheckpointIds(connection, tables, this.leases);
    this.checkpoints = new PostgresCheckpoints(connection, tables, this.liveness);
  }

  /**
   * Loads `pg`, connects, creates the tables when missing and starts the liveness session.
   * @throws PgNotInstalledError; UnsupportedSchemaVersionError; HighAvailabilityStorageError when the server cannot be reached.
   */
  static async open(options: PostgresHighAvailabilityOptions, lease: LeaseSettings): Promise<PostgresHighAvailabilityBackend> {
    const pg = await loadPg();
    const ownsPool = options.pool === undefined;
    // The option is typed structurally so the package's types do not need pg's; what users pass is a pg.Pool.
    const pool = (options.pool as Pg.Pool | undefined) ?? new pg.Pool({
      connectionString: options.connectionString, max: options.maxConnections ?? 4, application_name: 'nact-checkpoint-ha', connectionTimeoutMillis: 10_000,
    });
    // An idle connection that the server drops emits 'error' on the pool, which would otherwise end the process; the
    // pool discards such connections by itself.
    const poolErrorListener = (): void => undefined;
    pool.on('error', poolErrorListener);
    const tables = new PostgresTables(options.schema ?? 'public', options.tablePrefix ?? 'nact_checkpoint_');
    let description = `postgres:${tables.describe()}`;
    let backend: PostgresHighAvailabilityBackend | null = null;
    try {
      const client = await pool.connect();
      try {
        const { rows } = await client.query<{ database: string }>('SELECT current_database() AS database');
        description = `postgres:${rows[0]?.database ?? '?'}/${tables.describe()}`;
        await tables.ensure(client);
      } finally {
        client.release();
      }
      backend = new PostgresHighAvailabilityBackend(pool, ownsPool, poolErrorListener, new PostgresConnection(pool, description, lease.leaseDuration), tables, lease.clock, lease.renewInterval);
      await backend.liveness.ensure();
      return backend;
    } catch (error) {
      await backend?.close().catch(() => undefined);
      if (backend === null) {
        pool.off('error', poolErrorListener);
        if (ownsPool) await pool.end().catch(() => undefined);
      }
      if (error instanceof UnsupportedSchemaVersionError) throw error;
      throw new HighAvailabilityStorageError(description, 'setting up the high-availability tables', WriteOutcome.NOT_APPLIED, error);
    }
  }

  async close(): Promise<void> {
    await this.liveness.close();
    this.pool.off('error', this.poolErrorListener);
    if (this.ownsPool) await this.pool.end();
  }
}
