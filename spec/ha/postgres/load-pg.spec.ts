import { expect } from 'chai';
import { loadPg } from '../../../src/ha/postgres/load-pg.js';
import type { PostgresPool } from '../../../src/ha/postgres/postgres-pool.js';
import { createSpecSchema } from '../../support/postgres-schema.js';

describe('loadPg and the PostgreSQL spec schema', () => {
  it('loads pg and reaches the test server inside a schema of its own', async () => {
    const pg = await loadPg();
    expect(pg.Pool).to.be.a('function');
    const spec = await createSpecSchema('loadpg');
    try {
      const { rows } = await spec.pool.query<{ schema: string }>('SELECT current_schema() AS schema');
      expect(rows[0]?.schema).to.equal(spec.schema);
    } finally {
      await spec.drop();
    }
  });
});

describe('PostgresPool', () => {
  it('is what a pg.Pool is, so users pass their own pool without casts', async () => {
    const spec = await createSpecSchema('pooltype');
    try {
      const pool: PostgresPool = spec.pool;
      const client = await pool.connect();
      try {
        expect((await client.query('SELECT $1::int AS answer', [42])).rows).to.deep.equal([{ answer: 42 }]);
      } finally {
        client.release();
      }
    } finally {
      await spec.drop();
    }
  });
});
