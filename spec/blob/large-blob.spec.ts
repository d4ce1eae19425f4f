import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobStore } from '../../src/blob/blob-store.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';
import { blobHaModes, type BlobHaUnderTest } from './support/blob-modes.js';
import { MemoryPeak, MemorySamplingBlobHaCopy } from './support/memory-sampling-blob-ha-copy.js';

const MIB = 1024 * 1024;
const BLOB_MIB = 192;

describe('BlobStore with large blobs', () => {
  for (const mode of blobHaModes) {
    it(`streams a ${BLOB_MIB} MiB blob through put, the ${mode.name} HA copy and a fetch, holding only a fraction of it in memory`, async () => {
      const directory = await createTemporaryDirectory();
      let ha: BlobHaUnderTest | null = null;
      try {
        ha = await mode.create(directory);
        const memory = new MemoryPeak();
        const store = await BlobStore.open({ localDirectory: join(directory, 'jm-a'), haCopy: new MemorySamplingBlobHaCopy(await ha.open(), memory) });
        const chunk = Buffer.alloc(MIB, 0x5a);
        const hash = createHash('sha256');
        async function* content(): AsyncGenerator<Uint8Array> {
          for (let index = 0; index < BLOB_MIB; index += 1) {
            chunk.writeUInt32BE(index, 0);
            hash.update(chunk);
            memory.sample();
            yield chunk;
          }
        }
        const key = await store.put('job-1', content());
        expect(key).to.equal(hash.digest('hex'));
        const path = join(store.localDirectory, 'jobs', 'job-1', key);
        await rm(path);
        expect(await store.get('job-1', key)).to.equal(path);
        expect((await stat(path)).size).to.equal(BLOB_MIB * MIB);
        expect(memory.peak, `peak extra memory ${(memory.peak / MIB).toFixed(1)} MiB`).to.be.below((BLOB_MIB / 2) * MIB);
      } finally {
        await ha?.dispose();
        await removeTemporaryDirectory(directory);
      }
    });
  }
});
