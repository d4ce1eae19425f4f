import type Pg from 'pg';

/**
 * A pg pool whose clients fail the `failOnInsert`-th chunk insert (counted across the pool), like a server that goes
 * away in the middle of a transaction. Every other query goes to the real server.
 */
export function failingWritePool(pool: Pg.Pool, failOnInsert: number): Pg.Pool {
  let inserts = 0;
  const wrapClient = (client: Pg.PoolClient): Pg.PoolClient => new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
      return (text: string, values?: unknown[]) => {
        if (typeof text === 'string' && text.startsWith('INSERT INTO') && text.includes('nact_blob_chunks')) {
          inserts += 1;
          if (inserts === failOnInsert) return Promise.reject(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }));
        }
        return target.query(text, values);
      };
    },
  });
  return new Proxy(pool, {
    get(target, property, receiver) {
      if (property === 'connect') return async () => wrapClient(await target.connect());
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
