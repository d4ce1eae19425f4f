import type Pg from 'pg';
import { asCheckpointId, type CheckpointId, type JobId } from '../../core/ids.js';
import { checkpointFromRecord } from '../checkpoint-record.js';
import type { CheckpointEntry, CheckpointRecordTable, CheckpointTableChange } from '../high-availability-backend.js';
import { sealRecord, unsealRecord } from '../high-availability-record.js';
import { WriteOutcome } from '../high-availability-storage-error.js';
import type { LeaderSession } from '../leader-session.js';
import { toNumber, type PostgresConnection } from './postgres-connection.js';
import { assertCurrentLeader } from './postgres-fence.js';
import type { PostgresLiveness } from './postgres-liveness.js';
import { livenessHeld, type PostgresTables } from './postgres-tables.js';

interface CheckpointRow {
  readonly checkpoint_id: string;
  readonly subsumed: boolean;
  readonly format_version: number;
  readonly checksum: string;
  readonly payload: string;
}

/**
 * Completed checkpoints in one row per checkpoint (versioned, checksummed record) and their locks in one row per
 * (checkpoint, store instance), each lock naming the liveness key of its services instance. A lock whose instance's
 * liveness session is gone (see livenessHeld) no longer counts, so a killed process never pins a checkpoint.
 */
export class PostgresCheckpoints implements CheckpointRecordTable {
  constructor(
    private readonly connection: PostgresConnection,
    private readonly tables: PostgresTables,
    private readonly liveness: PostgresLiveness,
  ) {}

  async read(session: LeaderSession | null, jobId: JobId): Promise<CheckpointEntry[]> {
    const operation = `reading the completed checkpoints of job '${jobId}'`;
    const select = `SELECT checkpoint_id, subsumed, format_version, checksum, payload FROM ${this.tables.checkpoints} WHERE job_id = $1 ORDER BY checkpoint_id`;
    const rows = session === null
      ? await this.connection.query<CheckpointRow>(operation, select, [jobId], false)
      : await this.connection.transaction(operation, async (client) => {
        await assertCurrentLeader(client, this.tables, session, operation);
        return (await client.query<CheckpointRow>(select, [jobId])).rows;
      });
    return rows.map((row) => {
      const checkpointId = toNumber(row.checkpoint_id);
      const location = `${this.connection.description} ${this.tables.checkpoints} row of job '${jobId}' checkpoint ${checkpointId}`;
      const value = unsealRecord({ formatVersion: row.format_version, checksum: row.checksum, payload: row.payload }, location);
      return { checkpoint: checkpointFromRecord(value, location, jobId, checkpointId), subsumed: row.subsumed };
    });
  }

  async apply(session: LeaderSession, jobId: JobId, storeInstance: string, change: CheckpointTableChange): Promise<CheckpointId[]> {
    const operation = `changing the completed checkpoints of job '${jobId}'`;
    try {
      await this.liveness.ensure();
    } catch (error) {
      throw this.connection.failure(`${operation} (connecting the liveness session)`, WriteOutcome.NOT_APPLIED, error);
    }
    const key = this.liveness.key;
    return this.connection.transaction(operation, async (client) => {
      await assertCurrentLeader(client, this.tables, session, operation);
      if (change.insert !== undefined) {
        const sealed = sealRecord(change.insert);
        await client.query(
          `WITH inserted AS (
             INSERT INTO ${this.tables.checkpoints} (job_id, checkpoint_id, format_version, checksum, payload) VALUES ($1, $2, $3, $4, $5)
             RETURNING job_id, checkpoint_id)
           INSERT INTO ${this.tables.checkpointLocks} (job_id, checkpoint_id, store_instance, liveness_key)
           SELECT job_id, checkpoint_id, $6, $7::bigint FROM inserted`,
          [jobId, change.insert.checkpointId, sealed.formatVersion, sealed.checksum, sealed.payload, storeInstance, key],
        );
      }
      if (change.lock !== undefined && change.lock.length > 0) await this.lock(client, jobId, change.lock, storeInstance, key);
      if (change.subsume !== undefined && change.subsume.length > 0) {
        await client.query(
          `WITH marked AS (UPDATE ${this.tables.checkpoints} SET subsumed = true WHERE job_id = $1 AND checkpoint_id = ANY($2::bigint[]))
           DELETE FROM ${this.tables.checkpointLocks} WHERE job_id = $1 AND store_instance = $3 AND checkpoint_id = ANY($2::bigint[])`,
          [jobId, change.subsume, storeInstance],
        );
      }
      if (change.remove !== undefined && change.remove.length > 0) {
        await client.query(`DELETE FROM ${this.tables.checkpoints} WHERE job_id = $1 AND checkpoint_id = ANY($2::bigint[])`, [jobId, change.remove]);
      }
      return this.deleteReleased(client, jobId);
    });
  }

  async release(jobId: JobId, storeInstance: string): Promise<void> {
    await this.connection.query(
      `releasing the checkpoint locks of a store of job '${jobId}'`,
      `DELETE FROM ${this.tables.checkpointLocks} WHERE job_id = $1 AND store_instance = $2`,
      [jobId, storeInstance],
      true,
    );
  }

  private async lock(client: Pg.PoolClient, jobId: JobId, ids: readonly number[], storeInstance: string, key: string): Promise<void> {
    await client.query(
      `INSERT INTO ${this.tables.checkpointLocks} (job_id, checkpoint_id, store_instance, liveness_key)
       SELECT job_id, checkpoint_id, $3, $4::bigint FROM ${this.tables.checkpoints} WHERE job_id = $1 AND checkpoint_id = ANY($2::bigint[])
       ON CONFLICT (job_id, checkpoint_id, store_instance) DO UPDATE SET liveness_key = EXCLUDED.liveness_key`,
      [jobId, ids, storeInstance, key],
    );
  }

  /**
   * Deletes the subsumed checkpoints no live instance holds a lock on (the locks of dead instances go with them, by
   * cascade) and returns their ids.
   */
  private async deleteReleased(client: Pg.PoolClient, jobId: JobId): Promise<CheckpointId[]> {
    const { rows } = await client.query<{ checkpoint_id: string }>(
      `DELETE FROM ${this.tables.checkpoints} c WHERE c.job_id = $1 AND c.subsumed
       AND NOT EXISTS (SELECT 1 FROM ${this.tables.checkpointLocks} l
                       WHERE l.job_id = c.job_id AND l.checkpoint_id = c.checkpoint_id AND ${livenessHeld('l.liveness_key')})
       RETURNING c.checkpoint_id`,
      [jobId],
    );
    return rows.map((row) => asCheckpointId(toNumber(row.checkpoint_id))).sort((a, b) => a - b);
  }
}
