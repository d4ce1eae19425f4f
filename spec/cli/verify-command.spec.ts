import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { CliExitCode } from '../../src/cli/exit-code.js';
import { asCheckpointId } from '../../src/core/ids.js';
import { A_JOB } from '../support/checkpoint-fixtures.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';
import { runCliProcess } from './support/cli-process.js';
import { aJobDirectory, type JobDirectoryFixture } from './support/job-directory-fixture.js';

describe('nact-checkpoint verify', () => {
  let directory: string;
  let job: JobDirectoryFixture;
  beforeEach(async () => {
    directory = await createTemporaryDirectory();
    job = await aJobDirectory(directory);
  });
  afterEach(async () => {
    await removeTemporaryDirectory(directory);
  });

  const verify = (...extra: string[]) => runCliProcess(['verify', '--dir', directory, '--job', 'job-1', ...extra]);

  it('prints the audit and exits 0 when every checkpoint checks out', async () => {
    const run = await verify();

    expect(run.exitCode).to.equal(CliExitCode.OK);
    expect(run.lines).to.deep.equal([
      `Audit of job job-1 in ${join(directory, 'job-1')}`,
      '  checkpoints checked: 2',
      '  files checked: 5',
      '  missing: 0',
      '  corrupt: 0',
      '  orphans: 0',
      'result: OK',
    ]);
  });

  it('names each missing file and the checkpoints referencing it, and exits 1', async () => {
    await job.storage.deleteFile('job-1/shared/sst-1');

    const run = await verify();

    expect(run.exitCode).to.equal(CliExitCode.PROBLEMS_FOUND);
    expect(run.lines).to.include.members([
      '  missing: 1',
      `    job-1/shared/sst-1 (checkpoints 1, 2): state file not found in filesystem:${directory} storage`,
      'result: PROBLEMS FOUND',
    ]);
  });

  it('names corrupt metadata and exits 1', async () => {
    await writeFile(join(directory, 'job-1/chk-1/_metadata'), 'not metadata');

    const run = await verify();

    expect(run.exitCode).to.equal(CliExitCode.PROBLEMS_FOUND);
    expect(run.lines).to.include.members(['  corrupt: 1', '    job-1/chk-1/_metadata (checkpoint 1): not a checkpoint metadata file (wrong magic bytes at the start)']);
  });

  it('lists orphans, keeps them, points to gc and exits 1', async () => {
    await job.storage.writeExclusiveFile(A_JOB, asCheckpointId(3), 'op', new Uint8Array(3));

    const run = await verify();

    expect(run.exitCode).to.equal(CliExitCode.PROBLEMS_FOUND);
    expect(run.lines.slice(-4)).to.deep.equal([
      '  orphans: 1',
      '    job-1/chk-3/op (3 B, unreferenced)',
      "hint: 'nact-checkpoint gc' lists the orphans it would delete; run it only while no coordinator of this job is running",
      'result: PROBLEMS FOUND',
    ]);
    expect(await readdir(join(directory, 'job-1/chk-3'))).to.deep.equal(['op']);
  });

  it('prints the audit report as one JSON document with --json', async () => {
    await job.storage.writeExclusiveFile(A_JOB, asCheckpointId(3), 'op', new Uint8Array(3));

    const run = await verify('--json');

    expect(run.exitCode).to.equal(CliExitCode.PROBLEMS_FOUND);
    expect(JSON.parse(run.stdout)).to.deep.equal({
      command: 'verify',
      directory: join(directory, 'job-1'),
      jobId: 'job-1',
      storage: `filesystem:${directory}`,
      checkpointsChecked: 2,
      filesChecked: 5,
      missing: [],
      corrupt: [],
      orphans: [{ path: 'job-1/chk-3/op', size: 3, kind: 'unreferenced' }],
      noCheckpoints: false,
      ok: false,
    });
  });
});
