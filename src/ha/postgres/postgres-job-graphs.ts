import { asJobId, type JobId } from '../../core/ids.js';
import type { JsonValue } from '../../core/json.js';
import { CorruptStateError } from '../../storage/corrupt-state-error.js';
import type { JobGraphTable } from '../high-availability-backend.js';
import { sealRecord, unsealRecord } from '../high-availability-record.js';
import type { LeaderSession } from '../leader-session.js';
import type { StoredJobGraph } from '../stored-job-graph.js';
import { toNumber, type PostgresConnection } from './postgres-connection.js';
import { assertCurrentLeader } from './postgres-fence.js';
import type { PostgresTables } from './postgres-tables.js';

interface GraphRow {
  readonly revision: string;
  readonly format_version: number;
  readonly checksum: string;
  readonly payload: string;
}

/**
 * Job graphs in one row per job (versioned, checksummed). Every put and remove NOTIFYs the schema's job graph channel
 * in its transaction, so other instances hear of it when it commits; they also compare after reconnecting, since
 * notifications sent while a session was lost are gone.
 */
export class PostgresJobGraphs implements JobGraphTable {
  private readonly listeners = new Set<() => void>();

  constructor(private readonly connection: PostgresConnection, private readonly tables: PostgresTables) {}

  put(session: LeaderSession, jobId: JobId, graph: JsonValue): Promise<StoredJobGraph> {
    const operation = `storing the job graph of job '${jobId}'`;
    return this.connection.transaction(operation, async (client) => {
      await assertCurrentLeader(client, this.tables, session, operation);
      const sealed = sealRecord({ jobId, graph });
      const { rows } = await client.query<{ revision: string }>(
        `INSERT INTO ${this.tables.jobGraphs} AS stored (job_id, revision, format_version, checksum, payload) VALUES ($1, 1, $2, $3, $4)
         ON CONFLICT (job_id) DO UPDATE SET revision = stored.revision + 1, format_version = EXCLUDED.format_version,
           checksum = EXCLUDED.checksum, payload = EXCLUDED.payload, updated_at = now()
         RETURNING revision`,
        [jobId, sealed.formatVersion, sealed.checksum, sealed.payload],
      );
      await client.query('SELECT pg_notify($1, $2)', [this.tables.jobGraphChannel, jobId]);
      return { jobId, revision: toNumber(rows[0]?.revision), graph };
    });
  }

  async get(jobId: JobId): Promise<StoredJobGraph | null> {
    const rows = await this.connection.query<GraphRow>(
      `reading the job graph of job '${jobId}'`,
      `SELECT revision, format_version, checksum, payload FROM ${this.tables.jobGraphs} WHERE job_id = $1`,
      [jobId],
      false,
    );
    const row = rows[0];
    if (row === undefined) return null;
    const location = `${this.connection.description} ${this.tables.jobGraphs} row of job '${jobId}'`;
    const value = unsealRecord({ formatVersion: row.format_version, checksum: row.checksum, payload: row.payload }, location) as { jobId?: unknown; graph?: JsonValue };
    if (typeof value !== 'object' || value === null || value.jobId !== jobId || !('graph' in value)) {
      throw new CorruptStateError(location, `not a job graph record of job '${jobId}'`);
    }
    return { jobId, revision: toNumber(row.revision), graph: value.graph as JsonValue };
  }

  async revisions(): Promise<ReadonlyMap<JobId, number>> {
    const rows = await this.connection.query<{ job_id: string; revision: string }>(
      'listing the job graphs',
      `SELECT job_id, revision FROM ${this.tables.jobGraphs} ORDER BY job_id`,
      [],
      false,
    );
    return new Map(rows.map((row) => [asJobId(row.job_id), toNumber(row.revision)]));
  }

  remove(session: LeaderSession, jobId: JobId): Promise<boolean> {
    const operation = `removing the job graph of job '${jobId}'`;
    return this.connection.transaction(operation, async (client) => {
      await assertCurrentLeader(client, this.tables, session, operation);
      const { rowCount } = await client.query(`DELETE FROM ${this.tables.jobGraphs} WHERE job_id = $1`, [jobId]);
      if (rowCount === 0) return false;
      await client.query('SELECT pg_notify($1, $2)', [this.tables.jobGraphChannel, jobId]);
      return true;
    });
  }

  watch(onPossibleChange: () => void): () => void {
    const listener = (): void => onPossibleChange();
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called by the liveness session on every notification and after a reconnection. */
  signal(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
