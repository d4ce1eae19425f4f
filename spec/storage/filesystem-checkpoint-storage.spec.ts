import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { asCheckpointId, asJobId } from '../../src/core/ids.js';
import { CorruptStateError } from '../../src/storage/corrupt-state-error.js';
import { FileSystemCheckpointStorage } from '../../src/storage/filesystem-checkpoint-storage.js';
import { StateFileExistsError } from '../../src/storage/state-file-exists-error.js';
import { StateFileNotFoundError } from '../../src/storage/state-file-not-found-error.js';
import { aCheckpoint, aSavepoint, A_JOB } from '../support/checkpoint-fixtures.js';
import { rejectionOf } from '../support/rejection-of.js';
import { storagesUnderTest, type StorageUnderTest } from '../support/storages-under-test.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';

const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);
const textOf = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);


async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(directory.length + 1))
    .sort();
}


for (const implementation of storagesUnderTest) {
  describe(`${implementation.name} (shared storage contract)`, () => {
    let directory: string;
    let subject: StorageUnderTest;
    beforeEach(async () => {
      directory = await createTemporaryDirectory();
      subject = implementation.create(directory);
    });
    afterEach(async () => {
      await removeTemporaryDirectory(directory);
    });

    it("returns handles whose paths follow Flink's layout", async () => {
      const { storage } = subject;
      expect((await storage.writeSharedFile(A_JOB, 'sst-1', bytesOf('a'))).path).to.equal('job-1/shared/sst-1');
      expect((await storage.writeExclusiveFile(A_JOB, asCheckpointId(3), 'op-1', bytesOf('b'))).path).to.equal('job-1/chk-3/op-1');
      expect((await storage.writeTaskOwnedFile(A_JOB, 'log-1', bytesOf('c'))).path).to.equal('job-1/taskowned/log-1');
      expect(await storage.writeMetadata(aCheckpoint(3))).to.equal('job-1/chk-3/_metadata');
    });

    it('reads back what it wrote, verified', async () => {
      const handle = await subject.storage.writeSharedFile(A_JOB, 'sst-1', bytesOf('state bytes'));

      expect(handle).to.deep.equal({ kind: 'file', path: 'job-1/shared/sst-1', size: 11, checksum: handle.checksum });
      expect(textOf(await subject.storage.readFile(handle))).to.equal('state bytes');
    });

    it('refuses a truncated state file, naming it', async () => {
      const handle = await subject.storage.writeExclusiveFile(A_JOB, asCheckpointId(1), 'op-1', bytesOf('0123456789'));
      await subject.overwrite(handle.path, bytesOf('01234'));

      const error = await rejectionOf(subject.storage.readFile(handle));

      expect(error).to.be.instanceOf(CorruptStateError);
      expect(error.message).to.equal(
        'job-1/chk-1/op-1: expected 10 bytes, found 5 (truncated or overwritten); refusing to use it (restore from an older checkpoint or remove the file)',
      );
    });

    it('refuses a state file with a flipped byte, naming it', async () => {
      const handle = await subject.storage.writeSharedFile(A_JOB, 'sst-1', bytesOf('0123456789'));
      await subject.overwrite(handle.path, bytesOf('0123456788'));

      const error = await rejectionOf(subject.storage.readFile(handle));

      expect(error).to.be.instanceOf(CorruptStateError);
      expect(error.message).to.equal('job-1/shared/sst-1: checksum mismatch; refusing to use it (restore from an older checkpoint or remove the file)');
    });

    it('says a missing state file was not found, naming it and the storage', async () => {
      const handle = await subject.storage.writeSharedFile(A_JOB, 'sst-1', bytesOf('x'));
      await subject.storage.deleteFile(handle.path);

      const error = await rejectionOf(subject.storage.readFile(handle));

      expect(error.message).to.equal(`job-1/shared/sst-1: state file not found in ${subject.storage.description} storage`);
    });

    it('deletes a file that does not exist without complaint', async () => {
      await subject.storage.deleteFile('job-1/shared/never-written');
    });

    it('round-trips checkpoint metadata, recording where it was written', async () => {
      const pointer = await subject.storage.writeMetadata(aSavepoint(4, { stateSize: 9 }));

      expect(await subject.storage.readMetadata(pointer)).to.deep.equal({ ...aSavepoint(4, { stateSize: 9 }), externalPointer: pointer });
    });

    it('lists metadata ascending by checkpoint id, not by name', async () => {
      for (const id of [10, 2, 1]) await subject.storage.writeMetadata(aCheckpoint(id));
      await subject.storage.writeMetadata(aCheckpoint(5, { jobId: asJobId('job-2') }));

      expect(await subject.storage.listMetadata(A_JOB)).to.deep.equal(['job-1/chk-1/_metadata', 'job-1/chk-2/_metadata', 'job-1/chk-10/_metadata']);
    });

    it('lists no metadata for a job it never saw', async () => {
      expect(await subject.storage.listMetadata(asJobId('unknown-job'))).to.deep.equal([]);
    });

    it('lists shared and checkpoint files with their sizes, but not task-owned ones', async () => {
      await subject.storage.writeSharedFile(A_JOB, 'sst-1', bytesOf('aa'));
      await subject.storage.writeExclusiveFile(A_JOB, asCheckpointId(2), 'op-1', bytesOf('bbb'));
      await subject.storage.writeTaskOwnedFile(A_JOB, 'log-1', bytesOf('c'));

      expect(await subject.storage.listFiles(A_JOB)).to.deep.equal([
        { path: 'job-1/chk-2/op-1', size: 3 },
        { path: 'job-1/shared/sst-1', size: 2 },
      ]);
    });

    it('discards a checkpoint directory with its metadata and private files, and nothing else', async () => {
      await subject.storage.writeExclusiveFile(A_JOB, asCheckpointId(2), 'op-1', bytesOf('b'));
      await subject.storage.writeMetadata(aCheckpoint(2));
      await subject.storage.writeMetadata(aCheckpoint(3));

      await subject.storage.discardCheckpointDirectory(A_JOB, asCheckpointId(2));

      expect(await subject.storage.listMetadata(A_JOB)).to.deep.equal(['job-1/chk-3/_metadata']);
      expect((await subject.storage.listFiles(A_JOB)).map((file) => file.path)).to.deep.equal(['job-1/chk-3/_metadata']);
    });
  });
}

describe('FileSystemCheckpointStorage', () => {
  let directory: string;
  let storage: FileSystemCheckpointStorage;
  beforeEach(async () => {
    directory = await createTemporaryDirectory();
    storage = new FileSystemCheckpointStorage(directory);
  });
  afterEach(async () => {
    await removeTemporaryDirectory(directory);
  });

  async function metadataFails(pointer: string): Promise<CorruptStateError> {
    const error = await rejectionOf(storage.readMetadata(pointer));
    expect(error).to.be.instanceOf(CorruptStateError);
    expect((error as CorruptStateError).path).to.equal(pointer);
    expect(error.message.startsWith(`${pointer}: `)).to.equal(true);
    return error as CorruptStateError;
  }

  it('describes itself by its absolute base directory', () => {
    expect(new FileSystemCheckpointStorage('./checkpoints').description).to.equal(`filesystem:${resolve('checkpoints')}`);
  });

  it('puts every file where the layout says, on disk', async () => {
    await storage.writeSharedFile(A_JOB, 'sst-1', bytesOf('a'));
    await storage.writeExclusiveFile(A_JOB, asCheckpointId(3), 'op-1', bytesOf('b'));
    await storage.writeTaskOwnedFile(A_JOB, 'log-1', bytesOf('c'));
    await storage.writeMetadata(aCheckpoint(3));

    expect(await filesUnder(directory)).to.deep.equal(['job-1/chk-3/_metadata', 'job-1/chk-3/op-1', 'job-1/shared/sst-1', 'job-1/taskowned/log-1']);
    expect(await readFile(join(directory, 'job-1/shared/sst-1'), 'utf8')).to.equal('a');
  });

  it('leaves no temporary file behind after its writes', async () => {
    await storage.writeSharedFile(A_JOB, 'sst-1', bytesOf('a'));
    await storage.writeSharedFile(A_JOB, 'sst-1', bytesOf('a'));
    await storage.writeExclusiveFile(A_JOB, asCheckpointId(3), 'op-1', bytesOf('b'));
    await storage.writeExclusiveFile(A_JOB, asCheckpointId(3), 'op-1', bytesOf('b2'));
    await storage.writeMetadata(aCheckpoint(3));

    expect((await filesUnder(directory)).filter((path) => path.includes('.tmp-'))).to.deep.equal([]);
    expect(await storage.listTemporaryFiles(A_JOB)).to.deep.equal([]);
  });

  it('is not confused by a temporary file a crash left in a checkpoint directory', async () => {
    await storage.writeMetadata(aCheckpoint(2));
    await mkdir(join(directory, 'job-1/chk-3'), { recursive: true });
    await writeFile(join(directory, 'job-1/chk-3/.tmp-5e1f-_metadata'), 'half a metadata fi');

    expect(await storage.listMetadata(A_JOB)).to.deep.equal(['job-1/chk-2/_metadata']);
    const metadataSize = (await stat(join(directory, 'job-1/chk-2/_metadata'))).size;
    expect(await storage.listFiles(A_JOB)).to.deep.equal([{ path: 'job-1/chk-2/_metadata', size: metadataSize }]);
    expect(await storage.listTemporaryFiles(A_JOB)).to.deep.equal([{ path: 'job-1/chk-3/.tmp-5e1f-_metadata', size: 18 }]);
  });

  it('reads what another instance on the same directory wrote, as after a restart', async () => {
    const pointer = await storage.writeMetadata(aCheckpoint(6));
    const handle = await storage.writeSharedFile(A_JOB, 'sst-1', bytesOf('kept'));

    const restarted = new FileSystemCheckpointStorage(directory);

    expect(await restarted.listMetadata(A_JOB)).to.deep.equal([pointer]);
    expect((await restarted.readMetadata(pointer)).checkpointId).to.equal(6);
    expect(textOf(await restarted.readFile(handle))).to.equal('kept');
  });

  it('throws StateFileNotFoundError for a missing state file', async () => {
    const error = await rejectionOf(storage.readFile({ kind: 'file', path: 'job-1/shared/gone', size: 1, checksum: '0'.repeat(64) }));

    expect(error).to.be.instanceOf(StateFileNotFoundError);
    expect(error.name).to.equal('StateFileNotFoundError');
    expect(error.message).to.equal(`job-1/shared/gone: state file not found in filesystem:${directory} storage`);
  });

  it('throws StateFileNotFoundError for missing metadata', async () => {
    const error = await rejectionOf(storage.readMetadata('job-1/chk-9/_metadata'));

    expect(error).to.be.instanceOf(StateFileNotFoundError);
    expect(error.message).to.equal(`job-1/chk-9/_metadata: checkpoint metadata not found in filesystem:${directory} storage`);
  });

  it('refuses truncated metadata, naming the file', async () => {
    const pointer = await storage.writeMetadata(aCheckpoint(2));
    const bytes = await readFile(join(directory, pointer));
    await writeFile(join(directory, pointer), bytes.subarray(0, bytes.byteLength - 1));

    expect((await metadataFails(pointer)).problem).to.match(/^truncated checkpoint metadata: /);
  });

  it('refuses metadata with a flipped byte, naming the file', async () => {
    const pointer = await storage.writeMetadata(aCheckpoint(2));
    const bytes = await readFile(join(directory, pointer));
    bytes[bytes.byteLength - 2] = (bytes[bytes.byteLength - 2] ?? 0) ^ 0x04;
    await writeFile(join(directory, pointer), bytes);

    expect((await metadataFails(pointer)).problem).to.equal('checksum mismatch in checkpoint metadata');
  });

  it('refuses metadata of an unknown format version, naming the file and the versions it reads', async () => {
    const pointer = await storage.writeMetadata(aCheckpoint(2));
    const bytes = await readFile(join(directory, pointer));
    bytes.writeUInt16BE(9, 4);
    await writeFile(join(directory, pointer), bytes);

    expect((await metadataFails(pointer)).message).to.equal(
      'job-1/chk-2/_metadata: unsupported checkpoint metadata format version 9; this build reads version(s) 1; refusing to use it (restore from an older checkpoint or remove the file)',
    );
  });

  it('refuses metadata copied into the directory of another checkpoint', async () => {
    const pointer = await storage.writeMetadata(aCheckpoint(2));
    await mkdir(join(directory, 'job-1/chk-3'));
    await writeFile(join(directory, 'job-1/chk-3/_metadata'), await readFile(join(directory, pointer)));

    expect((await metadataFails('job-1/chk-3/_metadata')).problem).to.equal('the record is checkpoint 2, not checkpoint 3 its directory names');
  });

  it('accepts rewriting a shared file with identical bytes, as a retried upload does', async () => {
    const first = await storage.writeSharedFile(A_JOB, 'sst-1', bytesOf('same'));

    expect(await storage.writeSharedFile(A_JOB, 'sst-1', bytesOf('same'))).to.deep.equal(first);
  });

  it('refuses to overwrite a shared file with different bytes and keeps the original', async () => {
    const original = await storage.writeSharedFile(A_JOB, 'sst-1', bytesOf('first upload'));

    const error = await rejectionOf(storage.writeSharedFile(A_JOB, 'sst-1', bytesOf('second upload')));

    expect(error).to.be.instanceOf(StateFileExistsError);
    expect(error.name).to.equal('StateFileExistsError');
    expect(error.message).to.match(/^job-1\/shared\/sst-1: a different file with this name already exists; /);
    expect(textOf(await storage.readFile(original))).to.equal('first upload');
  });

  it('refuses to overwrite the metadata of a checkpoint with a different record', async () => {
    const pointer = await storage.writeMetadata(aCheckpoint(2));
    await storage.writeMetadata(aCheckpoint(2));

    const error = await rejectionOf(storage.writeMetadata(aCheckpoint(2, { stateSize: 77 })));

    expect(error).to.be.instanceOf(StateFileExistsError);
    expect((await storage.readMetadata(pointer)).stateSize).to.equal(0);
  });

  it('refuses paths that would leave the base directory', async () => {
    const error = await rejectionOf(storage.deleteFile('job-1/../../etc/passwd'));

    expect(error).to.be.instanceOf(RangeError);
    expect(error.message).to.match(/^job-1\/\.\.\/\.\.\/etc\/passwd: not a stored path; /);
  });

  it('refuses a job id that is not a single directory name', async () => {
    const error = await rejectionOf(storage.writeSharedFile(asJobId('a/b'), 'sst-1', bytesOf('x')));

    expect(error).to.be.instanceOf(RangeError);
    expect(error.message).to.equal("invalid job id 'a/b': it names a directory, so it must be 1 to 200 letters, digits, '.', '_' or '-', starting with a letter or digit");
  });

  it('refuses file names that collide with the layout', async () => {
    const error = await rejectionOf(storage.writeExclusiveFile(A_JOB, asCheckpointId(1), '_metadata', bytesOf('x')));

    expect(error.message).to.match(/^invalid state file name '_metadata'/);
  });
});
