import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { ExistingFilePolicy, isTemporaryFileName, writeFileAtomically } from '../../src/storage/atomic-file-writer.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';

const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('writeFileAtomically', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await createTemporaryDirectory();
  });
  afterEach(async () => {
    await removeTemporaryDirectory(directory);
  });

  it('writes the bytes and leaves no temporary file beside them', async () => {
    await writeFileAtomically(join(directory, 'state'), bytesOf('hello'));

    expect(await readFile(join(directory, 'state'), 'utf8')).to.equal('hello');
    expect(await readdir(directory)).to.deep.equal(['state']);
  });

  it('creates missing parent directories', async () => {
    await writeFileAtomically(join(directory, 'job-1', 'chk-1', '_metadata'), bytesOf('m'));

    expect(await readFile(join(directory, 'job-1', 'chk-1', '_metadata'), 'utf8')).to.equal('m');
  });

  it('replaces an existing file by default', async () => {
    await writeFile(join(directory, 'state'), 'old');

    await writeFileAtomically(join(directory, 'state'), bytesOf('new'));

    expect(await readFile(join(directory, 'state'), 'utf8')).to.equal('new');
    expect(await readdir(directory)).to.deep.equal(['state']);
  });

  it('leaves an existing file untouched and rejects with EEXIST when told to fail on existing files', async () => {
    await writeFile(join(directory, 'state'), 'old');

    const error: unknown = await writeFileAtomically(join(directory, 'state'), bytesOf('new'), ExistingFilePolicy.FAIL).catch((e: unknown) => e);

    expect((error as NodeJS.ErrnoException).code).to.equal('EEXIST');
    expect(await readFile(join(directory, 'state'), 'utf8')).to.equal('old');
    expect(await readdir(directory)).to.deep.equal(['state']);
  });

  it('removes its temporary file when the final rename fails', async () => {
    await mkdir(join(directory, 'state', 'occupied'), { recursive: true });

    const error: unknown = await writeFileAtomically(join(directory, 'state'), bytesOf('new')).catch((e: unknown) => e);

    expect(error).to.be.instanceOf(Error);
    expect(await readdir(directory)).to.deep.equal(['state']);
  });

  it('recognises the names of temporary files', () => {
    expect(isTemporaryFileName('.tmp-0a1b-_metadata')).to.equal(true);
    expect(isTemporaryFileName('_metadata')).to.equal(false);
    expect(isTemporaryFileName('x.tmp-1')).to.equal(false);
  });
});
