import { loadPg } from '../src/ha/postgres/load-pg.js';

/** Where the PostgreSQL benchmarks run: `NACT_CHECKPOINT_BENCH_PG`, else the test server. */
export const BENCH_PG_URL = process.env.NACT_CHECKPOINT_BENCH_PG ?? process.env.NACT_CHECKPOINT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Drops a benchmark's own schema and everything in it. */
export async function dropBenchSchema(schema: string): Promise<void> {
  const pg = await loadPg();
  const client = new pg.Client({ connectionString: BENCH_PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
