import { createHash } from 'node:crypto';
import type { PostgresClient, PostgresPool } from '../ha/postgres/postgres-pool.js';
import type { JobId } from '../core/ids.js';
import { InvalidOptionError } from '../core/invalid-option-error.js';
import { BlobCopy, BlobCorruptedError } from './blob-corrupted-error.js';
import type { BlobHaCopy } from './blob-ha-copy.js';
import type { BlobKey } from './blob-key.js';
import { BLOB_STORE_FORMAT_VERSION } from './blob-directory-format.js';

/** Configuration of a {@link PostgresBlobHaCopy}. */
export interface PostgresBlobHaCopyOptions {
  /** The caller's pool; the copy never closes it. */
  readonly pool: PostgresPool;
  /** The schema holding the blob tables (created when missing): letters, digits and `_`. */
  readonly schema: string;
  /** Bytes per stored chunk row; default 1 MiB. Only one chunk of a blob is in memory at a time. */
  readonly chunkBytes?: number;
}

const FIELD = 'PostgresBlobHaCopyOptions';
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const UNIQUE_VIOLATION = '23505';
const MAX_CHUNK_BYTES = 64 * 1024 * 1024;

/**
 * The HA copy of the postgres mode: each blob is a completion row in `nact_blobs` (size, chunk count, format version)
 * plus its bytes in `nact_blob_chunks`, one row per chunk, all written in one transaction, so a blob is there whole or
 * not at all. Reads run in one repeatable-read transaction and stream chunk by chunk, so blobs of hundreds of MiB never
 * sit in memory. Every job manager sharing the database serves every other's blobs.
 */
export class PostgresBlobHaCopy implements BlobHaCopy {
  readonly description: string;
  private readonly blobs: string;
  private readonly chunks: string;

  private constructor(
    private readonly pool: PostgresPool,
    readonly schema: string,
    private readonly chunkBytes: number,
  ) {
    this.description = `postgres:schema "${schema}"`;
    this.blobs = `"${schema}"."nact_blobs"`;
    this.chunks = `"${schema}"."nact_blob_chunks"`;
  }

  /**
   * Creates the schema and tables when missing (safe when several processes do it at once).
   * Throws {@link InvalidOptionError} naming the option when one is invalid; rejects when the database is unreachable.
   */
  static async create(options: PostgresBlobHaCopyOptions): Promise<PostgresBlobHaCopy> {
    const { pool, schema } = options;
    const chunkBytes = options.chunkBytes ?? 1024 * 1024;
    if (typeof pool?.connect !== 'function' || typeof pool?.query !== 'function') throw new InvalidOptionError(`${FIELD}.pool`, 'must be a pg.Pool');
    if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
      throw new InvalidOptionError(`${FIELD}.schema`, `must be 1 to 63 letters, digits or '_', not starting with a digit, got ${JSON.stringify(schema)}`);
    }
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) {
      throw new InvalidOptionError(`${FIELD}.chunkBytes`, `must be an integer in [1, ${MAX_CHUNK_BYTES}], got ${chunkBytes}`);
    }
    const copy = new PostgresBlobHaCopy(pool, schema, chunkBytes);
    await copy.createTables();
    return copy;
  }

  /** Rejects (and stores nothing) when the stream fails or does not hold exactly `size` bytes hashing to `key`. */
  async put(jobId: JobId, key: BlobKey, size: number, content: () => AsyncIterable<Uint8Array>): Promise<void> {
    try {
      await this.transaction(async (client) => {
        await client.query(`DELETE FROM ${this.chunks} WHERE job_id = $1 AND blob_key = $2`, [jobId, key]);
        await client.query(`DELETE FROM ${this.blobs} WHERE job_id = $1 AND blob_key = $2`, [jobId, key]);
        const hash = createHash('sha256');
        let index = 0;
        let total = 0;
        for await (const chunk of rechunk(content(), this.chunkBytes)) {
          hash.update(chunk);
          await client.query(`INSERT INTO ${this.chunks} (job_id, blob_key, chunk_index, data) VALUES ($1, $2, $3, $4)`, [jobId, key, index, chunk]);
          index += 1;
          total += chunk.byteLength;
        }
        const digest = hash.digest('hex');
        if (total !== size || digest !== key) {
          throw new Error(`the content streamed for blob ${key} was ${total} bytes hashing to ${digest}, expected ${size} bytes hashing to the key`);
        }
        await client.query(
          `INSERT INTO ${this.blobs} (job_id, blob_key, size, chunk_count, format_version) VALUES ($1, $2, $3, $4, $5)`,
          [jobId, key, size, index, BLOB_STORE_FORMAT_VERSION],
        );
      });
    } catch (error) {
      // Another job manager committed the same key (hence the same content) first.
      if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) return;
      throw error;
    }
  }

  async read(jobId: JobId, key: BlobKey): Promise<AsyncIterable<Uint8Array> | null> {
    const record = await this.record(this.pool, jobId, key);
    return record === null ? null : this.stream(jobId, key);
  }

  async delete(jobId: JobId, key: BlobKey): Promise<void> {
    await this.transaction(async (client) => {
      await client.query(`DELETE FROM ${this.blobs} WHERE job_id = $1 AND blob_key = $2`, [jobId, key]);
      await client.query(`DELETE FROM ${this.chunks} WHERE job_id = $1 AND blob_key = $2`, [jobId, key]);
    });
  }

  async deleteJob(jobId: JobId): Promise<void> {
    await this.transaction(async (client) => {
      await client.query(`DELETE FROM ${this.blobs} WHERE job_id = $1`, [jobId]);
      await client.query(`DELETE FROM ${this.chunks} WHERE job_id = $1`, [jobId]);
    });
  }

  /** The blob's bytes, chunk by chunk, in one read-only snapshot of the database. */
  private async *stream(jobId: JobId, key: BlobKey): AsyncGenerator<Uint8Array> {
    const client = await this.pool.connect();
    let finished = false;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const record = await this.record(client, jobId, key);
      if (record === null) throw new Error(`blob ${key} of job ${jobId} was deleted from ${this.description} while being read`);
      let total = 0;
      for (let index = 0; index < record.chunkCount; index += 1) {
        const { rows } = await client.query<{ data: Buffer }>(
          `SELECT data FROM ${this.chunks} WHERE job_id = $1 AND blob_key = $2 AND chunk_index = $3`, [jobId, key, index]);
        const data = rows[0]?.data;
        if (data === undefined) throw this.corrupted(jobId, key, `chunk ${index} of ${record.chunkCount} is missing`);
        total += data.byteLength;
        yield data;
      }
      if (total !== record.size) throw this.corrupted(jobId, key, `its chunks hold ${total} bytes, its record says ${record.size}`);
      await client.query('COMMIT');
      finished = true;
    } finally {
      const broken = !finished && (await client.query('ROLLBACK').then(() => false, () => true));
      client.release(broken);
    }
  }

  private async record(queryable: PostgresPool | PostgresClient, jobId: JobId, key: BlobKey): Promise<{ size: number; chunkCount: number } | null> {
    const { rows } = await queryable.query<{ size: string; chunk_count: number; format_version: number }>(
      `SELECT size, chunk_count, format_version FROM ${this.blobs} WHERE job_id = $1 AND blob_key = $2`, [jobId, key]);
    const row = rows[0];
    if (row === undefined) return null;
    if (row.format_version !== BLOB_STORE_FORMAT_VERSION) {
      throw this.corrupted(jobId, key, `its record has format version ${row.format_version}; this build reads version ${BLOB_STORE_FORMAT_VERSION}`);
    }
    return { size: Number(row.size), chunkCount: row.chunk_count };
  }

  private corrupted(jobId: JobId, key: BlobKey, problem: string): BlobCorruptedError {
    return new BlobCorruptedError(jobId, key, BlobCopy.HA, this.description, problem);
  }

  private async createTables(): Promise<void> {
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`nact-checkpoint blob tables in ${this.schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.blobs} (
        job_id text NOT NULL, blob_key text NOT NULL, size bigint NOT NULL, chunk_count integer NOT NULL, format_version integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (job_id, blob_key))`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.chunks} (
        job_id text NOT NULL, blob_key text NOT NULL, chunk_index integer NOT NULL, data bytea NOT NULL, PRIMARY KEY (job_id, blob_key, chunk_index))`);
    });
  }

  private async transaction<T>(work: (client: PostgresClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that cannot even roll back is not given back to the pool.
      broken = await client.query('ROLLBACK').then(() => false, () => true);
      throw error;
    } finally {
      client.release(broken);
    }
  }
}

/** Re-cuts a stream into chunks of exactly `size` bytes (the last one shorter), holding at most one chunk. */
async function* rechunk(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const piece of source) {
    let rest = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    while (rest.byteLength > 0) {
      const take = Math.min(size - pendingBytes, rest.byteLength);
      pending.push(rest.subarray(0, take));
      pendingBytes += take;
      rest = rest.subarray(take);
      if (pendingBytes === size) {
        yield Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}
