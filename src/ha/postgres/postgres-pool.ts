/** The part of a query result the engine reads. */
export interface PostgresQueryResult<R extends object = Record<string, unknown>> {
  readonly rows: R[];
  readonly rowCount: number | null;
}

/** A connection taken from a pool (a `pg` PoolClient), as the engine uses it. */
export interface PostgresClient {
  query<R extends object = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PostgresQueryResult<R>>;
  release(error?: Error | boolean): void;
}

/**
 * A PostgreSQL connection pool as the engine uses it: pass a `new pg.Pool(...)`. Declared here, not taken from `pg`,
 * so that the package's types compile for users who do not install `pg` (it is an optional peer dependency).
 */
export interface PostgresPool {
  query<R extends object = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PostgresQueryResult<R>>;
  connect(): Promise<PostgresClient>;
}
