import { randomInt } from 'node:crypto';
import type Pg from 'pg';
import type { Cancellable, Clock } from '../../actor/clock.js';

/**
 * The services instance's own database session: it holds a session-level advisory lock on the instance's random
 * `key` for as long as the instance lives, and LISTENs for job graph changes. Other instances read the lock's
 * presence in `pg_locks` to know whether this instance (its leases, its checkpoint locks) is still alive: it goes
 * with the session, when the process dies, the pool is closed or the backend is terminated.
 *
 * A lost session is re-established at the next {@link ensure} (every lease operation calls it) or after
 * `reconnectDelay` on the injected clock; the key stays the same, and listeners hear of the reconnection (they may
 * have missed notifications meanwhile).
 */
export class PostgresLiveness {
  /** The advisory lock key (a positive bigint, as a decimal string). */
  readonly key: string;
  private client: Pg.PoolClient | null = null;
  private connecting: Promise<Pg.PoolClient> | null = null;
  private backendPid: number | null = null;
  private everConnected = false;
  private reconnectTimer: Cancellable | null = null;
  private closed = false;

  constructor(
    private readonly pool: Pg.Pool,
    private readonly channel: string,
    private readonly clock: Clock,
    private readonly reconnectDelay: number,
    private readonly onNotification: () => void,
    private readonly onReconnected: () => void,
  ) {
    this.key = ((BigInt(randomInt(1, 2 ** 30)) << 32n) | BigInt(randomInt(0, 2 ** 32 - 1))).toString();
  }

  /** The backend pid of the live session (after connecting if needed). */
  async ensure(): Promise<number> {
    if (this.closed) throw new Error('the high-availability services were closed');
    if (this.client !== null && this.backendPid !== null) return this.backendPid;
    this.connecting ??= this.connect().finally(() => { this.connecting = null; });
    await this.connecting;
    return this.backendPid as number;
  }

  /** The backend pid of the session, or null while it is lost. For operators and specs (`pg_terminate_backend`). */
  currentBackendPid(): number | null {
    return this.client === null ? null : this.backendPid;
  }

  /** Ends the session: the advisory lock goes, so other instances see this one as gone. */
  async close(): Promise<void> {
    this.closed = true;
    this.reconnectTimer?.cancel();
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = null;
    // Destroy rather than return to the pool: the session (and its advisory lock) must end now.
    client?.release(true);
  }

  private async connect(): Promise<Pg.PoolClient> {
    const client = await this.pool.connect();
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      // pg_advisory_lock waits for a terminated earlier session of ours that still holds the key while it exits.
      await client.query("SET statement_timeout = '10s'");
      await client.query('SELECT pg_advisory_lock($1::bigint)', [this.key]);
      await client.query(`LISTEN "${this.channel}"`);
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      client.on('notification', () => this.onNotification());
      this.backendPid = rows[0]?.pid ?? null;
    } catch (error) {
      client.release(true);
      throw error;
    }
    if (this.closed) {
      client.release(true);
      throw new Error('the high-availability services were closed');
    }
    this.client = client;
    const reconnected = this.everConnected;
    this.everConnected = true;
    if (reconnected) this.onReconnected();
    return client;
  }

  private lost(client: Pg.PoolClient): void {
    if (this.client !== client) return;
    this.client = null;
    this.backendPid = null;
    client.release(true);
    if (this.closed) return;
    this.reconnectTimer?.cancel();
    this.reconnectTimer = this.clock.schedule(this.reconnectDelay, () => {
      this.reconnectTimer = null;
      void this.ensure().catch(() => undefined);
    });
  }
}
