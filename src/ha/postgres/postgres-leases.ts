import { hostname } from 'node:os';
import { WriteOutcome } from '../high-availability-storage-error.js';
import type { LeaseRecord, LeaseRenewal, LeaseTable } from '../high-availability-backend.js';
import type { LeaderSession } from '../leader-session.js';
import { toNumber, type PostgresConnection } from './postgres-connection.js';
import type { PostgresLiveness } from './postgres-liveness.js';
import { livenessHeld, type PostgresTables } from './postgres-tables.js';

interface LeaseRow {
  readonly scope: string;
  readonly generation: string;
  readonly holder: string | null;
  readonly renew_count: string;
  readonly liveness_key: string | null;
}

/**
 * Leases in one row per scope. Taking over is a conditional UPDATE (compare-and-swap on generation, holder and renew
 * count) that bumps the generation; every lease row records the holder's liveness key (and, for operators, its
 * backend pid, host and process id), so standbys take over at once when its database session is gone.
 */
export class PostgresLeases implements LeaseTable {
  constructor(private readonly connection: PostgresConnection, private readonly tables: PostgresTables, private readonly liveness: PostgresLiveness) {}

  async read(scope: string): Promise<LeaseRecord | null> {
    const rows = await this.connection.query<LeaseRow>(
      `reading the lease of scope '${scope}'`,
      `SELECT scope, generation, holder, renew_count, liveness_key FROM ${this.tables.leases} WHERE scope = $1`,
      [scope],
      false,
    );
    return rows[0] === undefined ? null : recordOf(rows[0]);
  }

  async tryAcquire(scope: string, contenderId: string, expected: LeaseRecord | null): Promise<LeaderSession | null> {
    const backendPid = await this.ensureLiveness(`taking over the lease of scope '${scope}'`);
    const holderValues = [contenderId, this.liveness.key, backendPid, hostname(), process.pid];
    const rows = expected === null
      ? await this.connection.query<{ generation: string }>(
        `taking over the lease of scope '${scope}'`,
        `INSERT INTO ${this.tables.leases} (scope, generation, holder, renew_count, liveness_key, backend_pid, holder_host, holder_pid)
         VALUES ($1, 1, $2, 0, $3, $4, $5, $6) ON CONFLICT (scope) DO NOTHING RETURNING generation`,
        [scope, ...holderValues],
        true,
      )
      : await this.connection.query<{ generation: string }>(
        `taking over the lease of scope '${scope}'`,
        `UPDATE ${this.tables.leases}
         SET generation = generation + 1, holder = $2, renew_count = 0, liveness_key = $3, backend_pid = $4, holder_host = $5, holder_pid = $6, updated_at = now()
         WHERE scope = $1 AND generation = $7 AND holder IS NOT DISTINCT FROM $8 AND renew_count = $9 RETURNING generation`,
        [scope, ...holderValues, expected.generation, expected.holder, expected.renewCount],
        true,
      );
    const row = rows[0];
    return row === undefined ? null : { scope, generation: toNumber(row.generation), contenderId };
  }

  async renew(session: LeaderSession): Promise<LeaseRenewal> {
    const operation = `renewing the lease of scope '${session.scope}'`;
    const backendPid = await this.ensureLiveness(operation);
    const rows = await this.connection.query(
      operation,
      `UPDATE ${this.tables.leases} SET renew_count = renew_count + 1, liveness_key = $4, backend_pid = $5, updated_at = now()
       WHERE scope = $1 AND generation = $2 AND holder = $3 RETURNING 1`,
      [session.scope, session.generation, session.contenderId, this.liveness.key, backendPid],
      true,
    );
    return rows.length > 0 ? { renewed: true } : { renewed: false, current: await this.read(session.scope) };
  }

  async release(session: LeaderSession): Promise<void> {
    await this.connection.query(
      `releasing the lease of scope '${session.scope}'`,
      `UPDATE ${this.tables.leases} SET holder = NULL, liveness_key = NULL, backend_pid = NULL, updated_at = now()
       WHERE scope = $1 AND generation = $2 AND holder = $3`,
      [session.scope, session.generation, session.contenderId],
      true,
    );
  }

  async isHolderAlive(record: LeaseRecord): Promise<boolean> {
    if (record.holderLiveness === null) return false;
    const rows = await this.connection.query<{ alive: boolean }>(
      `checking whether the leader of scope '${record.scope}' is alive`,
      `SELECT ${livenessHeld('$1::bigint')} AS alive`,
      [record.holderLiveness],
      false,
    );
    return rows[0]?.alive === true;
  }

  private async ensureLiveness(operation: string): Promise<number> {
    try {
      return await this.liveness.ensure();
    } catch (error) {
      throw this.connection.failure(`${operation} (connecting the liveness session)`, WriteOutcome.NOT_APPLIED, error);
    }
  }
}

function recordOf(row: LeaseRow): LeaseRecord {
  return { scope: row.scope, generation: toNumber(row.generation), holder: row.holder, renewCount: toNumber(row.renew_count), holderLiveness: row.liveness_key };
}
