import { expect } from 'chai';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asCheckpointId } from '../../src/core/ids.js';
import { TaskLocalDirectoryStorage } from '../../src/local-recovery/task-local-directory-storage.js';
import { CorruptStateError } from '../../src/storage/corrupt-state-error.js';
import { StateFileNotFoundError } from '../../src/storage/state-file-not-found-error.js';
import { rejectionOf } from '../support/rejection-of.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('TaskLocalDirectoryStorage', () => {
  let directory: string;
  let storage: TaskLocalDirectoryStorage;
  beforeEach(async () => {
    directory = await createTemporaryDirectory();
    storage = new TaskLocalDirectoryStorage(directory);
  });
  afterEach(() => removeTemporaryDirectory(directory));

  it('writes chk-<id>/<name> atomically and reads it back verified', async () => {
    const handle = await storage.writeFile(asCheckpointId(3), 'segment-a', bytes('hello'));
    expect(handle).to.deep.include({ kind: 'file', path: 'chk-3/segment-a', size: 5 });
    expect(new TextDecoder().decode(await storage.readFile(handle))).to.equal('hello');
    expect(await readdir(join(directory, 'chk-3'))).to.deep.equal(['segment-a']);
  });

  it('links a file of an earlier checkpoint into a later one without copying it (same inode), and each survives the other\'s deletion', async () => {
    const first = await storage.writeFile(asCheckpointId(1), 'segment-a', bytes('shared'));
    const second = await storage.linkFile(first, asCheckpointId(2));
    expect(second).to.deep.equal({ ...first, path: 'chk-2/segment-a' });
    expect((await stat(join(directory, 'chk-2', 'segment-a'))).ino).to.equal((await stat(join(directory, 'chk-1', 'segment-a'))).ino);
    await storage.deleteFile(first);
    expect(new TextDecoder().decode(await storage.readFile(second))).to.equal('shared');
  });

  it('refuses to link from a file that is gone', async () => {
    const first = await storage.writeFile(asCheckpointId(1), 'segment-a', bytes('shared'));
    await storage.deleteFile(first);
    expect((await rejectionOf(storage.linkFile(first, asCheckpointId(2)))).message).to.include('ENOENT');
    expect(await readdir(join(directory, 'chk-2'))).to.deep.equal([]);
  });

  it('detects a corrupted, truncated or missing file and names it', async () => {
    const handle = await storage.writeFile(asCheckpointId(1), 'segment-a', bytes('hello'));
    await writeFile(join(directory, 'chk-1', 'segment-a'), 'jello');
    const corrupt = await rejectionOf(storage.readFile(handle));
    expect(corrupt).to.be.instanceOf(CorruptStateError);
    expect(corrupt.message).to.equal(`${join(directory, 'chk-1', 'segment-a')}: checksum mismatch; refusing to use it (restore from an older checkpoint or remove the file)`);
    await writeFile(join(directory, 'chk-1', 'segment-a'), 'hel');
    expect((await rejectionOf(storage.readFile(handle))).message).to.include('expected 5 bytes, found 3');
    await storage.deleteFile(handle);
    expect(await rejectionOf(storage.readFile(handle))).to.be.instanceOf(StateFileNotFoundError);
  });

  it('refuses names and paths that would leave the task directory or shadow the manifest', async () => {
    for (const name of ['../escape', '_task_local_state', '.tmp-x', '']) {
      expect((await rejectionOf(storage.writeFile(asCheckpointId(1), name, bytes('x')))).message).to.match(/^invalid (state|task-local) file name/);
    }
    const outside = { kind: 'file' as const, path: '../../etc/passwd', size: 1, checksum: '0'.repeat(64) };
    expect((await rejectionOf(storage.readFile(outside))).message).to.equal(`../../etc/passwd: not a task-local path; expected chk-<id>/<name> inside ${directory}`);
  });
});
