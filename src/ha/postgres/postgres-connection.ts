import type Pg from 'pg';
import { CorruptStateError } from '../../storage/corrupt-state-error.js';
import { HighAvailabilityStorageError, WriteOutcome } from '../high-availability-storage-error.js';
import { StaleLeaderError } from '../stale-leader-error.js';

/**
 * Runs the postgres mode's statements on a pool. A failure that is not the domain's own (stale leader, backwards
 * counter, corrupt row) becomes a HighAvailabilityStorageError saying whether the write may have happened; the
 * connection it happened on is destroyed, so the next call gets a fresh one (FLINK-14091).
 */
export class PostgresConnection {
  private readonly begin: string;

  /**
   * `idleInTransactionTimeout` (ms, the lease duration): the server ends a session that stays idle inside one of these
   * transactions for longer. A paused process (SIGSTOP, a long GC) holding a transaction open would otherwise keep its
   * lease row locked, and no standby could ever take over while it sleeps.
   */
  constructor(readonly pool: Pg.Pool, readonly description: string, idleInTransactionTimeout: number) {
    this.begin = `BEGIN; SET LOCAL idle_in_transaction_session_timeout = ${Math.max(1, Math.floor(idleInTransactionTimeout))}`;
  }

  /** One statement in its own transaction. A write that fails has an unknown outcome (it may have committed). */
  async query<Row extends Pg.QueryResultRow>(operation: string, text: string, values: readonly unknown[], isWrite: boolean): Promise<Row[]> {
    try {
      return (await this.pool.query<Row>(text, [...values])).rows;
    } catch (error) {
      throw this.failure(operation, isWrite ? WriteOutcome.UNKNOWN : WriteOutcome.NOT_APPLIED, error);
    }
  }

  /** Runs `work` in a transaction; a failure before COMMIT rolls back (outcome: not applied), one during COMMIT is unknown. */
  async transaction<T>(operation: string, work: (client: Pg.PoolClient) => Promise<T>): Promise<T> {
    let client: Pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.failure(operation, WriteOutcome.NOT_APPLIED, error);
    }
    // A checked-out client that loses its connection emits 'error'; without a listener that would end the process.
    const ignore = (): void => undefined;
    client.on('error', ignore);
    let broken: Error | undefined;
    let committing = false;
    try {
      await client.query(this.begin);
      const result = await work(client);
      committing = true;
      await client.query('COMMIT');
      return result;
    } catch (error) {
      if (!committing) await client.query('ROLLBACK').catch((rollbackError: unknown) => { broken = asError(rollbackError); });
      if (isDomainError(error) && !committing) throw error;
      broken ??= asError(error);
      throw this.failure(operation, committing ? WriteOutcome.UNKNOWN : WriteOutcome.NOT_APPLIED, error);
    } finally {
      client.off('error', ignore);
      client.release(broken);
    }
  }

  failure(operation: string, outcome: WriteOutcome, error: unknown): Error {
    if (isDomainError(error) || error instanceof HighAvailabilityStorageError) return error;
    return new HighAvailabilityStorageError(this.description, operation, outcome, error);
  }
}

function isDomainError(error: unknown): error is Error {
  return error instanceof StaleLeaderError || error instanceof CorruptStateError || error instanceof RangeError;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** A bigint column (pg returns them as strings) as a number. */
export function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}
