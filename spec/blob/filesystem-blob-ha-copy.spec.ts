import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asBlobKey } from '../../src/blob/blob-key.js';
import { FileSystemBlobHaCopy } from '../../src/blob/filesystem-blob-ha-copy.js';
import { BlobStore } from '../../src/blob/blob-store.js';
import { asJobId } from '../../src/core/ids.js';
import { CorruptStateError } from '../../src/storage/corrupt-state-error.js';
import { rejectionOf } from '../support/rejection-of.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';

describe('FileSystemBlobHaCopy', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await createTemporaryDirectory();
  });
  afterEach(() => removeTemporaryDirectory(directory));

  it('refuses content that is not what the key and size say, leaving no file', async () => {
    const copy = await FileSystemBlobHaCopy.open(directory);
    const key = asBlobKey(createHash('sha256').update('expected').digest('hex'));
    const error = await rejectionOf(copy.put(asJobId('job-1'), key, 8, async function* () {
      yield new TextEncoder().encode('tampered');
    }));
    expect(error.message).to.include(`the content streamed for blob ${key} was 8 bytes hashing to`);
    expect(await readdir(join(directory, 'jobs', 'job-1'))).to.deep.equal([]);
  });

  for (const [directoryName, open] of [
    ['an HA directory', (path: string) => FileSystemBlobHaCopy.open(path)],
    ['a local blob directory', (path: string) => BlobStore.open({ localDirectory: path })],
  ] as const) {
    it(`refuses ${directoryName} of another format version, naming its marker`, async () => {
      await open(directory);
      await writeFile(join(directory, 'blob-store.json'), JSON.stringify({ format: 'nact-checkpoint/blob-store', formatVersion: 2 }));
      const error = await rejectionOf(open(directory));
      expect(error).to.be.instanceOf(CorruptStateError);
      expect(error.message).to.equal(`${join(directory, 'blob-store.json')}: unsupported blob directory format version 2; this build reads version 1; refusing to use it (restore from an older checkpoint or remove the file)`);
    });
  }
});
