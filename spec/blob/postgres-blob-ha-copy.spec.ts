import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { asBlobKey, type BlobKey } from '../../src/blob/blob-key.js';
import { BlobCorruptedError } from '../../src/blob/blob-corrupted-error.js';
import { PostgresBlobHaCopy } from '../../src/blob/postgres-blob-ha-copy.js';
import { asJobId } from '../../src/core/ids.js';
import { InvalidOptionError } from '../../src/core/invalid-option-error.js';
import { createSpecSchema, type SpecSchema } from '../support/postgres-schema.js';
import { rejectionOf } from '../support/rejection-of.js';
import { failingWritePool } from './support/failing-write-pool.js';

const JOB = asJobId('job-1');
const CHUNK = 64 * 1024;

function blobOf(size: number): { bytes: Buffer; key: BlobKey } {
  const bytes = Buffer.alloc(size);
  for (let index = 0; index < size; index += 1) bytes[index] = (index * 31) % 251;
  return { bytes, key: asBlobKey(createHash('sha256').update(bytes).digest('hex')) };
}

async function* chunksOf(bytes: Uint8Array, size = 10_000): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += size) yield bytes.subarray(offset, offset + size);
}

async function collect(content: AsyncIterable<Uint8Array> | null): Promise<Buffer> {
  if (content === null) throw new Error('expected the blob to be stored');
  const parts: Buffer[] = [];
  for await (const chunk of content) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

describe('PostgresBlobHaCopy', () => {
  let spec: SpecSchema;
  let copy: PostgresBlobHaCopy;
  beforeEach(async () => {
    spec = await createSpecSchema('blobha');
    copy = await PostgresBlobHaCopy.create({ pool: spec.pool, schema: spec.schema, chunkBytes: CHUNK });
  });
  afterEach(() => spec.drop());

  const rows = async (table: 'nact_blobs' | 'nact_blob_chunks'): Promise<number> =>
    Number((await spec.pool.query<{ count: string }>(`SELECT count(*) AS count FROM "${spec.schema}".${table}`)).rows[0]?.count);

  it('stores a blob as chunk rows plus a completion row, and streams it back', async () => {
    const { bytes, key } = blobOf(3 * CHUNK + 123);
    await copy.put(JOB, key, bytes.byteLength, () => chunksOf(bytes));
    expect([await rows('nact_blobs'), await rows('nact_blob_chunks')]).to.deep.equal([1, 4]);
    expect((await collect(await copy.read(JOB, key))).equals(bytes)).to.equal(true);
    expect(await copy.read(asJobId('job-2'), key)).to.equal(null);
  });

  it('a transaction broken off midway stores nothing, and the put can be retried', async () => {
    const { bytes, key } = blobOf(3 * CHUNK);
    const broken = await PostgresBlobHaCopy.create({ pool: failingWritePool(spec.pool, 2), schema: spec.schema, chunkBytes: CHUNK });
    expect((await rejectionOf(broken.put(JOB, key, bytes.byteLength, () => chunksOf(bytes)))).message).to.equal('terminating connection due to administrator command');
    expect([await rows('nact_blobs'), await rows('nact_blob_chunks')]).to.deep.equal([0, 0]);
    expect(await copy.read(JOB, key)).to.equal(null);
    await copy.put(JOB, key, bytes.byteLength, () => chunksOf(bytes));
    expect((await collect(await copy.read(JOB, key))).equals(bytes)).to.equal(true);
  });

  it('refuses content that is not what the key and size say, storing nothing', async () => {
    const { bytes, key } = blobOf(1000);
    const error = await rejectionOf(copy.put(JOB, key, bytes.byteLength, () => chunksOf(Buffer.from('something else'))));
    expect(error.message).to.include(`the content streamed for blob ${key} was 14 bytes`);
    expect(await rows('nact_blob_chunks')).to.equal(0);
  });

  it('two job managers putting the same blob at once both succeed and it is stored once', async () => {
    const { bytes, key } = blobOf(5 * CHUNK);
    const other = await PostgresBlobHaCopy.create({ pool: spec.pool, schema: spec.schema, chunkBytes: CHUNK });
    await Promise.all([copy.put(JOB, key, bytes.byteLength, () => chunksOf(bytes)), other.put(JOB, key, bytes.byteLength, () => chunksOf(bytes))]);
    expect([await rows('nact_blobs'), await rows('nact_blob_chunks')]).to.deep.equal([1, 5]);
    expect((await collect(await other.read(JOB, key))).equals(bytes)).to.equal(true);
  });

  it('reports a missing chunk and a record of an unknown format version as data corruption naming the key', async () => {
    const { bytes, key } = blobOf(2 * CHUNK + 1);
    await copy.put(JOB, key, bytes.byteLength, () => chunksOf(bytes));
    await spec.pool.query(`DELETE FROM "${spec.schema}".nact_blob_chunks WHERE chunk_index = 1`);
    const missing = await rejectionOf(collect(await copy.read(JOB, key)));
    expect(missing).to.be.instanceOf(BlobCorruptedError);
    expect(missing.message).to.include(`the HA copy of blob ${key} of job job-1 in postgres:schema "${spec.schema}" is corrupted (chunk 1 of 3 is missing)`);
    await spec.pool.query(`UPDATE "${spec.schema}".nact_blobs SET format_version = 9`);
    expect((await rejectionOf(copy.read(JOB, key))).message).to.include('its record has format version 9; this build reads version 1');
  });

  it('deletes one blob, or every blob of one job, and nothing else', async () => {
    const first = blobOf(100);
    const second = blobOf(200);
    for (const job of ['job-1', 'job-2']) {
      for (const { bytes, key } of [first, second]) await copy.put(asJobId(job), key, bytes.byteLength, () => chunksOf(bytes));
    }
    await copy.delete(JOB, first.key);
    await copy.delete(JOB, first.key);
    expect(await copy.read(JOB, first.key)).to.equal(null);
    await copy.deleteJob(JOB);
    expect(await copy.read(JOB, second.key)).to.equal(null);
    expect((await collect(await copy.read(asJobId('job-2'), first.key))).equals(first.bytes)).to.equal(true);
    expect(await rows('nact_blobs')).to.equal(2);
  });

  it('creates its tables safely when several job managers start at once', async () => {
    const fresh = `${spec.schema}_fresh`;
    try {
      await Promise.all([1, 2, 3].map(() => PostgresBlobHaCopy.create({ pool: spec.pool, schema: fresh })));
    } finally {
      await spec.pool.query(`DROP SCHEMA IF EXISTS "${fresh}" CASCADE`);
    }
  });

  it('refuses invalid options, naming them', async () => {
    for (const [options, expected] of [
      [{ pool: spec.pool, schema: 'bad"schema' }, 'PostgresBlobHaCopyOptions.schema must be 1 to 63 letters'],
      [{ pool: spec.pool, schema: 'ok', chunkBytes: 0 }, 'PostgresBlobHaCopyOptions.chunkBytes must be an integer in [1, 67108864], got 0'],
    ] as const) {
      const error = await rejectionOf(PostgresBlobHaCopy.create(options));
      expect(error).to.be.instanceOf(InvalidOptionError);
      expect(error.message).to.include(expected);
    }
  });
});
