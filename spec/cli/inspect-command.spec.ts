import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { CliExitCode } from '../../src/cli/exit-code.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';
import { runCliProcess } from './support/cli-process.js';
import { aJobDirectory } from './support/job-directory-fixture.js';

describe('nact-checkpoint inspect', () => {
  let directory: string;
  let metadataSize: number;
  beforeEach(async () => {
    directory = await createTemporaryDirectory();
    await aJobDirectory(directory);
    metadataSize = (await stat(join(directory, 'job-1/chk-2/_metadata'))).size;
  });
  afterEach(async () => {
    await removeTemporaryDirectory(directory);
  });

  it('shows the tasks, their state handles, the files with their scope and size, and which other checkpoints share them', async () => {
    const run = await runCliProcess(['inspect', '2', '--dir', directory, '--job', 'job-1']);

    expect(run.exitCode).to.equal(CliExitCode.OK);
    expect(run.lines.slice(0, 4)).to.deep.equal([
      'Checkpoint 2 of job job-1: savepoint, retention retain-on-cancellation',
      '  triggered   1970-01-01T00:00:02.000Z',
      '  completed   1970-01-01T00:00:02.050Z (50 ms)',
      '  state size  25 B (25 bytes)',
    ]);
    expect(run.lines.slice(5)).to.deep.equal([
      '',
      'Tasks: 2',
      '  task   state                                    kind         size  file',
      '  map-1                                                         5 B',
      '         operatorState                            file          5 B  job-1/shared/sst-1',
      '  sum-0                                                        20 B',
      '         operatorState                            inline        2 B',
      '         keyedState[0]                            incremental  18 B  key groups 0-7, backend backend-a, snapshot of checkpoint 2',
      '         keyedState[0].sharedState[0]             file         10 B  job-1/shared/sst-2',
      '         keyedState[0].privateState[0] "local-7"  file          3 B  job-1/chk-2/private-1',
      '         keyedState[0].metaState                  bytes         5 B',
      '',
      'Files: 3 (18 B): 1 file (3 B) private under chk-2, 2 files (15 B) shared (1 also referenced by other retained checkpoints)',
      '  path                   scope    size  also in',
      '  job-1/chk-2/private-1  private   3 B',
      '  job-1/shared/sst-1     shared    5 B  1',
      '  job-1/shared/sst-2     shared   10 B',
    ]);
    expect(run.lines[4]).to.match(/^ {2}metadata {4}job-1\/chk-2\/_metadata \(\d\.\d\d KiB\)$/);
  });

  it('prints the same as one JSON document with --json', async () => {
    const run = await runCliProcess(['inspect', '2', '--dir', directory, '--job', 'job-1', '--json']);

    expect(run.exitCode).to.equal(CliExitCode.OK);
    expect(JSON.parse(run.stdout)).to.deep.equal({
      command: 'inspect',
      jobId: 'job-1',
      directory: join(directory, 'job-1'),
      checkpoint: {
        id: 2, kind: 'savepoint', retention: 'retain-on-cancellation', triggerTimestamp: 2000, completionTimestamp: 2050, durationMs: 50, stateSize: 25,
        metadata: { path: 'job-1/chk-2/_metadata', size: metadataSize },
      },
      tasks: [
        {
          taskId: 'map-1',
          stateSize: 5,
          keyedState: [],
          handles: [{ location: 'operatorState', kind: 'file', path: 'job-1/shared/sst-1', scope: 'shared', size: 5 }],
        },
        {
          taskId: 'sum-0',
          stateSize: 20,
          keyedState: [{ location: 'keyedState[0]', kind: 'incremental', keyGroupRange: { start: 0, end: 7 }, backendId: 'backend-a', checkpointId: 2, size: 18 }],
          handles: [
            { location: 'operatorState', kind: 'inline', size: 2 },
            { location: 'keyedState[0].sharedState[0]', kind: 'file', handleId: 'sst-2', path: 'job-1/shared/sst-2', scope: 'shared', size: 10 },
            { location: 'keyedState[0].privateState[0]', kind: 'file', handleId: 'local-7', path: 'job-1/chk-2/private-1', scope: 'private', size: 3 },
            { location: 'keyedState[0].metaState', kind: 'bytes', size: 5 },
          ],
        },
      ],
      files: [
        { path: 'job-1/chk-2/private-1', scope: 'private', size: 3, alsoReferencedBy: [] },
        { path: 'job-1/shared/sst-1', scope: 'shared', size: 5, alsoReferencedBy: [1] },
        { path: 'job-1/shared/sst-2', scope: 'shared', size: 10, alsoReferencedBy: [] },
      ],
    });
  });

  it('exits 6 for an id no retained checkpoint has, naming the retained ones', async () => {
    const run = await runCliProcess(['inspect', '3', '--dir', directory, '--job', 'job-1']);

    expect(run.exitCode).to.equal(CliExitCode.CHECKPOINT_NOT_FOUND);
    expect(run.errorLines).to.deep.equal(['error: job job-1 has no retained checkpoint 3 (retained: 1, 2)']);
  });

  it("exits 1 when the checkpoint's metadata cannot be read, naming the file and the problem", async () => {
    await writeFile(join(directory, 'job-1/chk-2/_metadata'), 'NCKM');

    const run = await runCliProcess(['inspect', '2', '--dir', directory, '--job', 'job-1']);

    expect(run.exitCode).to.equal(CliExitCode.PROBLEMS_FOUND);
    expect(run.errorLines).to.deep.equal(['error: checkpoint 2 cannot be read: job-1/chk-2/_metadata: truncated checkpoint metadata: 4 bytes, too short for the 42-byte header']);
  });
});
