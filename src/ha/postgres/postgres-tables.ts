import { createHash } from 'node:crypto';
import type Pg from 'pg';
import { POSTGRES_SCHEMA_VERSION } from './postgres-schema-version.js';
import { UnsupportedSchemaVersionError } from './unsupported-schema-version-error.js';

/** The layout version of the tables this build creates and reads. */

/** Quoted, schema-qualified names of the high-availability tables, and the notification channel of job graph changes. */
export class PostgresTables {
  readonly schemaVersion: string;
  readonly leases: string;
  readonly counters: string;
  readonly checkpoints: string;
  readonly checkpointLocks: string;
  readonly jobGraphs: string;
  /** LISTEN/NOTIFY channel of job graph changes (one per schema and prefix). */
  readonly jobGraphChannel: string;

  constructor(readonly schema: string, readonly prefix: string) {
    const table = (name: string): string => `"${schema}"."${prefix}${name}"`;
    this.schemaVersion = table('schema_version');
    this.leases = table('leases');
    this.counters = table('checkpoint_id_counters');
    this.checkpoints = table('completed_checkpoints');
    this.checkpointLocks = table('checkpoint_locks');
    this.jobGraphs = table('job_graphs');
    this.jobGraphChannel = `${prefix}job_graphs_${createHash('sha256').update(`${schema}.${prefix}`).digest('hex').slice(0, 8)}`;
  }

  /** `"public"."nact_checkpoint_*"`, for messages. */
  describe(): string {
    return `"${this.schema}"."${this.prefix}*"`;
  }

  /**
   * Creates the schema and tables when missing and checks their version, serialized between processes by an
   * advisory transaction lock.
   * @throws UnsupportedSchemaVersionError when the tables are of a newer version.
   */
  async ensure(client: Pg.PoolClient): Promise<void> {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`nact-checkpoint-ha:${this.schema}.${this.prefix}`]);
      const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.schema]);
      if (rowCount === 0) await client.query(`CREATE SCHEMA "${this.schema}"`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.schemaVersion} (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), version integer NOT NULL)`);
      const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${this.schemaVersion}`);
      const found = rows[0]?.version;
      if (found !== undefined && found > POSTGRES_SCHEMA_VERSION) throw new UnsupportedSchemaVersionError(this.describe(), found, POSTGRES_SCHEMA_VERSION);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.leases} (
        scope text PRIMARY KEY,
        generation bigint NOT NULL,
        holder text,
        renew_count bigint NOT NULL DEFAULT 0,
        liveness_key bigint,
        backend_pid integer,
        holder_host text,
        holder_pid integer,
        updated_at timestamptz NOT NULL DEFAULT now())`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.counters} (
        job_id text PRIMARY KEY,
        next_id bigint NOT NULL CHECK (next_id >= 1))`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.checkpoints} (
        job_id text NOT NULL,
        checkpoint_id bigint NOT NULL,
        subsumed boolean NOT NULL DEFAULT false,
        format_version integer NOT NULL,
        checksum text NOT NULL,
        payload text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_id, checkpoint_id))`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.checkpointLocks} (
        job_id text NOT NULL,
        checkpoint_id bigint NOT NULL,
        store_instance text NOT NULL,
        liveness_key bigint NOT NULL,
        PRIMARY KEY (job_id, checkpoint_id, store_instance),
        FOREIGN KEY (job_id, checkpoint_id) REFERENCES ${this.checkpoints} (job_id, checkpoint_id) ON DELETE CASCADE)`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.jobGraphs} (
        job_id text PRIMARY KEY,
        revision bigint NOT NULL,
        format_version integer NOT NULL,
        checksum text NOT NULL,
        payload text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now())`);
      if (found === undefined) await client.query(`INSERT INTO ${this.schemaVersion} (version) VALUES ($1)`, [POSTGRES_SCHEMA_VERSION]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
}

/**
 * SQL that is true when the database session holding advisory lock `key` (a bigint expression) is still connected:
 * the liveness of a services instance. The lock goes with its session, so a killed process, a closed pool or a
 * terminated backend (`pg_terminate_backend`) all make it false.
 */
export function livenessHeld(key: string): string {
  return `EXISTS (SELECT 1 FROM pg_locks p WHERE p.locktype = 'advisory' AND p.granted AND p.objsubid = 1
    AND p.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND ((p.classid::bigint << 32) | p.objid::bigint) = ${key})`;
}
