import { assertValidNextCount } from '../../checkpoint/checkpoint-id-counter.js';
import type { JobId } from '../../core/ids.js';
import type { CheckpointIdTable } from '../high-availability-backend.js';
import type { LeaderSession } from '../leader-session.js';
import { StaleLeaderError } from '../stale-leader-error.js';
import { toNumber, type PostgresConnection } from './postgres-connection.js';
import { assertCurrentLeader } from './postgres-fence.js';
import type { PostgresLeases } from './postgres-leases.js';
import type { PostgresTables } from './postgres-tables.js';

/**
 * Id counters in one row per job. getAndIncrement is a single statement that locks the lease row FOR SHARE (the
 * fence) and increments the counter row under its row lock, so concurrent calls from any number of processes get
 * distinct ids and a takeover can never slip in between the check and the increment.
 */
export class PostgresCheckpointIds implements CheckpointIdTable {
  constructor(private readonly connection: PostgresConnection, private readonly tables: PostgresTables, private readonly leases: PostgresLeases) {}

  async getAndIncrement(session: LeaderSession, jobId: JobId): Promise<number> {
    const operation = `checkpoint id counter getAndIncrement for job '${jobId}'`;
    const rows = await this.connection.query<{ id: string }>(
      operation,
      `WITH fence AS (SELECT 1 FROM ${this.tables.leases} WHERE scope = $2 AND generation = $3 AND holder = $4 FOR SHARE)
       INSERT INTO ${this.tables.counters} AS counter (job_id, next_id) SELECT $1, 2 FROM fence
       ON CONFLICT (job_id) DO UPDATE SET next_id = counter.next_id + 1
       RETURNING next_id - 1 AS id`,
      [jobId, session.scope, session.generation, session.contenderId],
      true,
    );
    const row = rows[0];
    if (row === undefined) {
      const current = await this.leases.read(session.scope);
      throw new StaleLeaderError(session, current === null || current.holder === null ? null : current.generation, operation);
    }
    return toNumber(row.id);
  }

  async get(jobId: JobId): Promise<number> {
    const rows = await this.connection.query<{ next_id: string }>(
      `reading the checkpoint id counter of job '${jobId}'`,
      `SELECT next_id FROM ${this.tables.counters} WHERE job_id = $1`,
      [jobId],
      false,
    );
    return rows[0] === undefined ? 1 : toNumber(rows[0].next_id);
  }

  setCount(session: LeaderSession, jobId: JobId, next: number): Promise<void> {
    const operation = `checkpoint id counter setCount for job '${jobId}'`;
    return this.connection.transaction(operation, async (client) => {
      await assertCurrentLeader(client, this.tables, session, operation);
      const { rows } = await client.query<{ next_id: string }>(`SELECT next_id FROM ${this.tables.counters} WHERE job_id = $1 FOR UPDATE`, [jobId]);
      assertValidNextCount(next, rows[0] === undefined ? 1 : toNumber(rows[0].next_id));
      await client.query(
        `INSERT INTO ${this.tables.counters} (job_id, next_id) VALUES ($1, $2) ON CONFLICT (job_id) DO UPDATE SET next_id = EXCLUDED.next_id`,
        [jobId, next],
      );
    });
  }

  remove(session: LeaderSession, jobId: JobId): Promise<void> {
    const operation = `checkpoint id counter removal for job '${jobId}'`;
    return this.connection.transaction(operation, async (client) => {
      await assertCurrentLeader(client, this.tables, session, operation);
      await client.query(`DELETE FROM ${this.tables.counters} WHERE job_id = $1`, [jobId]);
    });
  }
}
