import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { CliExitCode } from '../../src/cli/exit-code.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';
import { runCliProcess } from './support/cli-process.js';
import { aJobDirectory } from './support/job-directory-fixture.js';

describe('nact-checkpoint list', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await createTemporaryDirectory();
    await aJobDirectory(directory);
  });
  afterEach(async () => {
    await removeTemporaryDirectory(directory);
  });

  it('lists retained checkpoints and savepoints oldest first: id, kind, time, duration, size, tasks', async () => {
    const run = await runCliProcess(['list', '--dir', directory, '--job', 'job-1']);

    expect(run.exitCode).to.equal(CliExitCode.OK);
    expect(run.stderr).to.equal('');
    expect(run.lines).to.deep.equal([
      `Checkpoints of job job-1 in ${join(directory, 'job-1')}`,
      '',
      'id  kind        completed                 duration  state size  tasks',
      ' 1  checkpoint  1970-01-01T00:00:01.050Z     50 ms         5 B      1',
      ' 2  savepoint   1970-01-01T00:00:02.050Z     50 ms        25 B      2',
      '',
      '2 retained: 1 checkpoint, 1 savepoint',
    ]);
  });

  it('prints the same as one JSON document with --json', async () => {
    const run = await runCliProcess(['list', '--dir', directory, '--job', 'job-1', '--json']);

    expect(run.exitCode).to.equal(CliExitCode.OK);
    expect(JSON.parse(run.stdout)).to.deep.equal({
      command: 'list',
      jobId: 'job-1',
      directory: join(directory, 'job-1'),
      checkpoints: [
        {
          id: 1, kind: 'checkpoint', retention: 'never-retain-after-termination', triggerTimestamp: 1000, completionTimestamp: 1050,
          completedAt: '1970-01-01T00:00:01.050Z', durationMs: 50, stateSize: 5, tasks: 1, metadata: 'job-1/chk-1/_metadata',
        },
        {
          id: 2, kind: 'savepoint', retention: 'retain-on-cancellation', triggerTimestamp: 2000, completionTimestamp: 2050,
          completedAt: '1970-01-01T00:00:02.050Z', durationMs: 50, stateSize: 25, tasks: 2, metadata: 'job-1/chk-2/_metadata',
        },
      ],
      unreadable: [],
    });
  });

  it('lists metadata that cannot be read with its problem, and exits 1', async () => {
    await writeFile(join(directory, 'job-1/chk-1/_metadata'), 'not metadata');

    const run = await runCliProcess(['list', '--dir', directory, '--job', 'job-1']);
    const json = JSON.parse((await runCliProcess(['list', '--dir', directory, '--job', 'job-1', '--json'])).stdout) as { unreadable: unknown };

    expect(run.exitCode).to.equal(CliExitCode.PROBLEMS_FOUND);
    expect(run.lines.slice(3)).to.deep.equal([
      ' 2  savepoint  1970-01-01T00:00:02.050Z     50 ms        25 B      2',
      '',
      '1 retained: 0 checkpoints, 1 savepoint',
      "1 metadata file cannot be read (run 'nact-checkpoint verify' for the full audit):",
      '  job-1/chk-1/_metadata: not a checkpoint metadata file (wrong magic bytes at the start)',
    ]);
    expect(json.unreadable).to.deep.equal([
      { path: 'job-1/chk-1/_metadata', checkpointId: 1, problem: 'not a checkpoint metadata file (wrong magic bytes at the start)' },
    ]);
  });
});
