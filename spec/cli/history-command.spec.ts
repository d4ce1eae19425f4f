import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { asJobId } from '../../src/core/ids.js';
import { FileSystemCheckpointStorage } from '../../src/storage/filesystem-checkpoint-storage.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';
import { runCliProcess } from './support/cli-process.js';
import { aJobDirectory } from './support/job-directory-fixture.js';
import { aJobWithHistory } from './support/history-fixture.js';

describe('nact-checkpoint history', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await createTemporaryDirectory();
  });
  afterEach(async () => {
    await removeTemporaryDirectory(directory);
  });

  it('shows every checkpoint of the history with its status, duration, latency, slowest task, sizes and failure, then restores and a summary', async () => {
    await aJobWithHistory(directory);

    const run = await runCliProcess(['history', '--dir', directory, '--job', 'job-1']);

    expect(run.exitCode, run.stderr).to.equal(0);
    expect(run.lines[0]).to.equal(`Checkpoint history of job job-1 (${directory}/job-1/checkpoint-history.json, written 1970-01-01T00:00:01.050Z)`);
    expect(run.lines.slice(2, 6)).to.deep.equal([
      'id  kind        status     triggered                 duration  ack p99 / max  slowest task  state size  persisted  failure',
      ' 1  checkpoint  completed  1970-01-01T00:00:01.000Z      0 ms    0 ms / 0 ms  source              18 B       18 B',
      ' 2  checkpoint  failed     1970-01-01T00:00:01.000Z      0 ms    0 ms / 0 ms  source                 -          -  declined',
      ' 3  checkpoint  completed  1970-01-01T00:00:01.000Z     40 ms  40 ms / 40 ms  sink                16 B       16 B',
    ]);
    expect(run.lines).to.include.members([
      'failures:',
      '  2: task sink declined checkpoint 2: not ready',
      'restores:',
      '  1970-01-01T00:00:01.050Z  to checkpoint 3',
      'summary of the last 3 checkpoints (history size 10): 2 completed, 1 failed, 0 in progress',
      '  duration: min 0 ms, avg 20 ms, max 40 ms',
      'totals of the run: 3 triggered, 2 completed, 1 failed, 1 restored',
    ]);
  });

  it('prints the persisted history as JSON with --json', async () => {
    await aJobWithHistory(directory);

    const run = await runCliProcess(['history', '--dir', directory, '--job', 'job-1', '--json']);

    expect(run.exitCode, run.stdout).to.equal(0);
    const persisted = await new FileSystemCheckpointStorage(directory).readHistory(asJobId('job-1'));
    expect(JSON.parse(run.stdout)).to.deep.equal({
      command: 'history', jobId: 'job-1', directory: join(directory, 'job-1'), file: join(directory, 'job-1/checkpoint-history.json'),
      writtenAt: persisted?.writtenAt, totals: persisted?.totals, history: persisted?.history,
    });
  });

  it('reads the history of a job whose checkpoints are gone', async () => {
    await aJobWithHistory(directory);
    for (const id of [1, 3]) await rm(join(directory, 'job-1', `chk-${id}`), { recursive: true });

    const run = await runCliProcess(['history', '--dir', directory, '--job', 'job-1', '--json']);

    expect(run.exitCode, run.stdout).to.equal(0);
    expect((JSON.parse(run.stdout) as { history: { entries: unknown[] } }).history.entries).to.have.length(3);
  });

  it('exits NO_HISTORY (9) for a job directory without a history, saying how one is written', async () => {
    await aJobDirectory(directory);

    const run = await runCliProcess(['history', '--dir', directory, '--job', 'job-1']);

    expect(run.exitCode).to.equal(9);
    expect(run.errorLines[0]).to.equal(`error: job job-1 has no checkpoint history: no ${directory}/job-1/checkpoint-history.json (a coordinator writes it when it runs with a storage and persistHistory is on)`);
  });

  it('exits PROBLEMS_FOUND (1) for a damaged history, naming the file and the problem', async () => {
    await aJobWithHistory(directory);
    await writeFile(join(directory, 'job-1', 'checkpoint-history.json'), '{"format":"nact-checkpoint-history","formatVersion":1,"checks');

    const run = await runCliProcess(['history', '--dir', directory, '--job', 'job-1', '--json']);

    expect(run.exitCode).to.equal(1);
    expect((JSON.parse(run.stdout) as { error: { code: string; message: string } }).error).to.deep.include({ code: 'PROBLEMS_FOUND' });
    expect((JSON.parse(run.stdout) as { error: { message: string } }).error.message)
      .to.match(new RegExp(`^${directory}/job-1/checkpoint-history.json cannot be read: not a checkpoint history: unparsable JSON .*truncated\\?\\); the coordinator replaces it at its next finished checkpoint$`));
  });

  it('says "not a job directory" (3) for a directory that is neither a job nor holds a history', async () => {
    const run = await runCliProcess(['history', '--dir', directory, '--job', 'nothing']);

    expect(run.exitCode).to.equal(3);
  });
});
