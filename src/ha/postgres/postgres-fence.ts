import type Pg from 'pg';
import { assertCurrent } from '../fencing.js';
import type { LeaderSession } from '../leader-session.js';
import type { PostgresTables } from './postgres-tables.js';

/**
 * Inside a transaction, locks the session's lease row FOR SHARE and checks that the session is still current. A
 * takeover updates that row, so it waits for the transaction (or the transaction waits for it, and then sees the new
 * generation): the check and the writes after it are one atomic step.
 * @throws StaleLeaderError naming the current generation.
 */
export async function assertCurrentLeader(client: Pg.PoolClient, tables: PostgresTables, session: LeaderSession, operation: string): Promise<void> {
  const { rows } = await client.query<{ generation: string; holder: string | null }>(
    `SELECT generation, holder FROM ${tables.leases} WHERE scope = $1 FOR SHARE`,
    [session.scope],
  );
  const row = rows[0];
  assertCurrent(session, row === undefined ? null : { generation: Number(row.generation), holder: row.holder }, operation);
}
