import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { CliExitCode } from '../../src/cli/exit-code.js';
import { asCheckpointId } from '../../src/core/ids.js';
import { A_JOB } from '../support/checkpoint-fixtures.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';
import { runCliProcess } from './support/cli-process.js';
import { aJobDirectory, type JobDirectoryFixture } from './support/job-directory-fixture.js';

describe('nact-checkpoint gc', () => {
  let directory: string;
  let job: JobDirectoryFixture;
  beforeEach(async () => {
    directory = await createTemporaryDirectory();
    job = await aJobDirectory(directory);
  });
  afterEach(async () => {
    await removeTemporaryDirectory(directory);
  });

  const gc = (...extra: string[]) => runCliProcess(['gc', '--dir', directory, '--job', 'job-1', ...extra]);

  /** An unreferenced file in a checkpoint directory and a temporary file an interrupted write left under shared/. */
  async function withOrphans(): Promise<void> {
    await job.storage.writeExclusiveFile(A_JOB, asCheckpointId(3), 'op', new Uint8Array(3));
    await writeFile(join(directory, 'job-1/shared/.tmp-sst-9-123'), 'half');
  }

  const sharedFiles = () => readdir(join(directory, 'job-1/shared'));

  it('lists the orphans it would delete and deletes nothing without --yes', async () => {
    await withOrphans();

    const run = await gc();

    expect(run.exitCode).to.equal(CliExitCode.OK);
    expect(run.lines.slice(-4)).to.deep.equal([
      '  orphans: 2',
      '    job-1/chk-3/op (3 B, unreferenced)',
      '    job-1/shared/.tmp-sst-9-123 (4 B, temporary)',
      'dry run: would delete 2 orphans (7 B); run again with --yes to delete them, while no coordinator of job job-1 is running',
    ]);
    expect(await readdir(join(directory, 'job-1/chk-3'))).to.deep.equal(['op']);
    expect(await sharedFiles()).to.include('.tmp-sst-9-123');
  });

  it('deletes the orphans with --yes and nothing else, after which verify passes', async () => {
    await withOrphans();

    const run = await gc('--yes');
    const verify = await runCliProcess(['verify', '--dir', directory, '--job', 'job-1']);

    expect(run.exitCode).to.equal(CliExitCode.OK);
    // The two orphans, and the chk-3 directory the first leaves empty.
    expect(run.lines.slice(-1)).to.deep.equal(['deleted 3 orphans']);
    expect(await readdir(join(directory, 'job-1'))).to.not.include('chk-3');
    expect((await sharedFiles()).sort()).to.deep.equal(['sst-1', 'sst-2']);
    expect(verify.exitCode).to.equal(CliExitCode.OK);
  });

  it('says there is nothing to delete when there are no orphans', async () => {
    const run = await gc('--yes');

    expect(run.exitCode).to.equal(CliExitCode.OK);
    expect(run.lines.slice(-1)).to.deep.equal(['nothing to delete']);
  });

  it('refuses with exit 7 while some metadata cannot be read, and deletes nothing even with --yes', async () => {
    await withOrphans();
    await writeFile(join(directory, 'job-1/chk-1/_metadata'), 'not metadata');

    const run = await gc('--yes');

    expect(run.exitCode).to.equal(CliExitCode.GC_REFUSED);
    expect(run.stdout).to.equal('');
    expect(run.errorLines).to.deep.equal([
      'error: gc refused: the metadata of job-1/chk-1/_metadata cannot be read, so the files it references would look orphaned and could be lost; ' +
        "fix or remove that metadata ('nact-checkpoint verify' says what is wrong), then run gc again",
    ]);
    expect(await readdir(join(directory, 'job-1/chk-3'))).to.deep.equal(['op']);
    expect((await sharedFiles()).sort()).to.deep.equal(['.tmp-sst-9-123', 'sst-1', 'sst-2']);
  });

  it('collects the orphans but exits 1 when a referenced file is missing', async () => {
    await withOrphans();
    await job.storage.deleteFile('job-1/shared/sst-2');

    const run = await gc('--yes');

    expect(run.exitCode).to.equal(CliExitCode.PROBLEMS_FOUND);
    expect(run.lines.slice(-2)).to.deep.equal([
      'warning: referenced files are missing or corrupt (listed above); gc cannot repair them: restore from a checkpoint that verifies',
      'deleted 3 orphans',
    ]);
    expect(await readFile(join(directory, 'job-1/shared/sst-1'), 'utf8')).to.equal('state');
  });

  it('reports what it deleted as one JSON document with --json', async () => {
    await withOrphans();

    const dryRun = JSON.parse((await gc('--json')).stdout) as Record<string, unknown>;
    const run = await gc('--yes', '--json');
    const collected = JSON.parse(run.stdout) as Record<string, unknown>;

    expect(run.exitCode).to.equal(CliExitCode.OK);
    expect({ dryRun: dryRun['dryRun'], removed: dryRun['removed'] }).to.deep.equal({ dryRun: true, removed: [] });
    expect(collected).to.include({ command: 'gc', jobId: 'job-1', directory: join(directory, 'job-1'), dryRun: false });
    expect(collected['removed']).to.deep.equal(['job-1/chk-3/op', 'job-1/shared/.tmp-sst-9-123', 'job-1/chk-3']);
    expect(collected['failed']).to.deep.equal([]);
    expect((collected['audit'] as { orphans: unknown[] }).orphans).to.have.length(2);
  });
});
