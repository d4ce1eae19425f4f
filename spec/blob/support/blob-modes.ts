import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobHaCopy } from '../../../src/blob/blob-ha-copy.js';
import { FileSystemBlobHaCopy } from '../../../src/blob/filesystem-blob-ha-copy.js';
import { PostgresBlobHaCopy } from '../../../src/blob/postgres-blob-ha-copy.js';
import { createSpecSchema } from '../../support/postgres-schema.js';

/** One HA mode under test, with ways to look at and damage the HA copy behind the store's back. */
export interface BlobHaUnderTest {
  /** A fresh HA copy over the same storage, as another job manager (or a restarted one) opens it. */
  open(): Promise<BlobHaCopy>;
  /** Whether the HA copy holds the blob. */
  holds(jobId: string, key: string): Promise<boolean>;
  /** Flips bytes of the stored blob without updating anything else. */
  corrupt(jobId: string, key: string): Promise<void>;
  dispose(): Promise<void>;
}

export interface BlobMode {
  readonly name: 'filesystem' | 'postgres';
  create(directory: string): Promise<BlobHaUnderTest>;
}

/** Every HA mode: a blob store spec that holds for all of them runs once per mode. */
export const blobHaModes: readonly BlobMode[] = [
  {
    name: 'filesystem',
    async create(directory) {
      const haDirectory = join(directory, 'ha');
      const path = (jobId: string, key: string): string => join(haDirectory, 'jobs', jobId, key);
      return {
        open: () => FileSystemBlobHaCopy.open(haDirectory),
        holds: (jobId, key) => stat(path(jobId, key)).then(() => true, () => false),
        async corrupt(jobId, key) {
          const bytes = await readFile(path(jobId, key));
          bytes[0] = (bytes[0] ?? 0) ^ 0xff;
          await writeFile(path(jobId, key), bytes);
        },
        dispose: async () => undefined,
      };
    },
  },
  {
    name: 'postgres',
    async create() {
      const spec = await createSpecSchema('blob');
      return {
        open: () => PostgresBlobHaCopy.create({ pool: spec.pool, schema: spec.schema, chunkBytes: 64 * 1024 }),
        async holds(jobId, key) {
          const { rows } = await spec.pool.query(`SELECT 1 FROM "${spec.schema}".nact_blobs WHERE job_id = $1 AND blob_key = $2`, [jobId, key]);
          return rows.length === 1;
        },
        async corrupt(jobId, key) {
          const { rowCount } = await spec.pool.query(
            `UPDATE "${spec.schema}".nact_blob_chunks SET data = set_byte(data, 0, get_byte(data, 0) # 255) WHERE job_id = $1 AND blob_key = $2 AND chunk_index = 0`, [jobId, key]);
          if (rowCount !== 1) throw new Error(`no chunk 0 of blob ${key} to corrupt`);
        },
        dispose: () => spec.drop(),
      };
    },
  },
];
