import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { encodeCheckpointMetadata } from '../../src/storage/checkpoint-metadata-codec.js';
import { checksumOf } from '../../src/storage/checksum.js';
import { CorruptStateError } from '../../src/storage/corrupt-state-error.js';
import { FileSystemCheckpointStorage } from '../../src/storage/filesystem-checkpoint-storage.js';
import { InMemoryCheckpointStorage } from '../../src/storage/in-memory-checkpoint-storage.js';
import { StateFileNotFoundError } from '../../src/storage/state-file-not-found-error.js';
import { aCheckpoint, aSavepoint } from '../support/checkpoint-fixtures.js';
import { rejectionOf } from '../support/rejection-of.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';

describe('InMemoryCheckpointStorage metadata (verified like the filesystem storage)', () => {
  let storage: InMemoryCheckpointStorage;
  beforeEach(() => {
    storage = new InMemoryCheckpointStorage();
  });

  /** The bytes held at `path`, read back through a handle that must match them exactly. */
  async function holdsExactly(path: string, bytes: Uint8Array): Promise<boolean> {
    const read = await storage.readFile({ kind: 'file', path, size: bytes.byteLength, checksum: checksumOf(bytes) }).catch(() => null);
    return read !== null;
  }

  async function metadataFails(pointer: string): Promise<CorruptStateError> {
    const error = await rejectionOf(storage.readMetadata(pointer));
    expect(error).to.be.instanceOf(CorruptStateError);
    expect((error as CorruptStateError).path).to.equal(pointer);
    return error as CorruptStateError;
  }

  it('holds the same versioned, checksummed bytes the filesystem storage writes', async () => {
    const directory = await createTemporaryDirectory();
    try {
      const pointer = await new FileSystemCheckpointStorage(directory).writeMetadata(aSavepoint(4, { stateSize: 12 }));
      const onDisk = new Uint8Array(await readFile(join(directory, pointer)));

      expect(await storage.writeMetadata(aSavepoint(4, { stateSize: 12 }))).to.equal(pointer);
      expect(await holdsExactly(pointer, onDisk)).to.equal(true);
      expect(new TextDecoder().decode(onDisk.subarray(0, 4))).to.equal('NCKM');
    } finally {
      await removeTemporaryDirectory(directory);
    }
  });

  it('round-trips a record, deeply frozen', async () => {
    const pointer = await storage.writeMetadata(aCheckpoint(2, { stateSize: 5 }));

    const checkpoint = await storage.readMetadata(pointer);

    expect(checkpoint).to.deep.equal({ ...aCheckpoint(2, { stateSize: 5 }), externalPointer: pointer });
    expect(Object.isFrozen(checkpoint.properties)).to.equal(true);
  });

  it('refuses truncated metadata, naming the file', async () => {
    const pointer = await storage.writeMetadata(aCheckpoint(2));
    const bytes = encodeCheckpointMetadata({ ...aCheckpoint(2), externalPointer: pointer });
    storage.corrupt(pointer, bytes.subarray(0, bytes.byteLength - 1));

    expect((await metadataFails(pointer)).problem).to.match(/^truncated checkpoint metadata: /);
  });

  it('refuses metadata with a flipped byte, naming the file', async () => {
    const pointer = await storage.writeMetadata(aCheckpoint(2));
    const bytes = encodeCheckpointMetadata({ ...aCheckpoint(2), externalPointer: pointer });
    bytes[bytes.byteLength - 2] = (bytes[bytes.byteLength - 2] ?? 0) ^ 0x04;
    storage.corrupt(pointer, bytes);

    expect((await metadataFails(pointer)).problem).to.equal('checksum mismatch in checkpoint metadata');
  });

  it('refuses metadata of an unknown format version, naming the versions it reads', async () => {
    const pointer = await storage.writeMetadata(aCheckpoint(2));
    const bytes = encodeCheckpointMetadata({ ...aCheckpoint(2), externalPointer: pointer });
    new DataView(bytes.buffer).setUint16(4, 9);
    storage.corrupt(pointer, bytes);

    expect((await metadataFails(pointer)).message).to.equal(
      'job-1/chk-2/_metadata: unsupported checkpoint metadata format version 9; this build reads version(s) 1; refusing to use it (restore from an older checkpoint or remove the file)',
    );
  });

  it('refuses a bare JSON record, as the filesystem storage does', async () => {
    const pointer = await storage.writeMetadata(aCheckpoint(2));
    storage.corrupt(pointer, new TextEncoder().encode(JSON.stringify({ ...aCheckpoint(2), externalPointer: pointer })));

    expect((await metadataFails(pointer)).problem).to.equal('not a checkpoint metadata file (wrong magic bytes at the start)');
  });

  it('refuses a well-formed record of another checkpoint copied under this one', async () => {
    await storage.writeMetadata(aCheckpoint(3));
    storage.corrupt('job-1/chk-3/_metadata', encodeCheckpointMetadata({ ...aCheckpoint(2), externalPointer: 'job-1/chk-2/_metadata' }));

    expect((await metadataFails('job-1/chk-3/_metadata')).problem).to.equal('the record is checkpoint 2, not checkpoint 3 its directory names');
  });

  it('refuses a record that says it was written elsewhere', async () => {
    const pointer = await storage.writeMetadata(aCheckpoint(2));
    storage.corrupt(pointer, encodeCheckpointMetadata(aCheckpoint(2, { externalPointer: 'elsewhere/chk-2/_metadata' })));

    expect((await metadataFails(pointer)).problem).to.equal('the record says it was written to elsewhere/chk-2/_metadata');
  });

  it('says missing metadata was not found, naming it and the storage', async () => {
    const error = await rejectionOf(storage.readMetadata('job-1/chk-9/_metadata'));

    expect(error).to.be.instanceOf(StateFileNotFoundError);
    expect(error.message).to.equal('job-1/chk-9/_metadata: checkpoint metadata not found in memory storage');
  });

  it('refuses a pointer that is not <jobId>/chk-<id>/_metadata before looking it up', async () => {
    await storage.writeSharedFile(aCheckpoint(1).jobId, 'sst-1', new Uint8Array([1]));

    const error = await rejectionOf(storage.readMetadata('job-1/shared/sst-1'));

    expect(error).to.be.instanceOf(RangeError);
    expect(error.message).to.equal('job-1/shared/sst-1: not a checkpoint metadata pointer; expected <jobId>/chk-<id>/_metadata');
  });
});
