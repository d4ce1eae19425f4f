import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where specs find PostgreSQL: `NACT_CHECKPOINT_TEST_PG` or the machine's local server (trust auth, database `test`). */
export const TEST_PG_URL = process.env.NACT_CHECKPOINT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema of its own for one spec file's run, so concurrent runs never see each other's tables. */
export interface SpecSchema {
  readonly url: string;
  readonly schema: string;
  /** A pool whose connections use the schema (search_path). Closed by {@link drop}. */
  readonly pool: pg.Pool;
  /** Drops the schema with everything in it and closes the pool. */
  drop(): Promise<void>;
}

/**
 * Creates a uniquely named schema on the test server.
 * @throws Error saying which server could not be reached and how to start it.
 */
export async function createSpecSchema(prefix = 'spec'): Promise<SpecSchema> {
  const schema = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`.toLowerCase();
  const admin = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${TEST_PG_URL} (${error instanceof Error ? error.message : String(error)}). ` +
        "Start it (e.g. `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`) or point NACT_CHECKPOINT_TEST_PG at a server.",
    );
  }
  try {
    await admin.query(`CREATE SCHEMA "${schema}"`);
  } finally {
    await admin.end();
  }
  const pool = new pg.Pool({ connectionString: TEST_PG_URL, options: `-c search_path="${schema}"`, max: 4 });
  return {
    url: TEST_PG_URL,
    schema,
    pool,
    async drop() {
      await pool.end();
      const cleaner = new pg.Client({ connectionString: TEST_PG_URL });
      await cleaner.connect();
      try {
        await cleaner.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await cleaner.end();
      }
    },
  };
}
