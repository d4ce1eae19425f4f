import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { VERIFY_USAGE, VerifyExitCode, runVerifyCommand } from '../../src/cli/verify-command.js';
import { asCheckpointId, asTaskId } from '../../src/core/ids.js';
import { FileSystemCheckpointStorage } from '../../src/storage/filesystem-checkpoint-storage.js';
import { aCheckpoint, A_JOB } from '../support/checkpoint-fixtures.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';

/** Collects what the command prints. */
class RecordingOutput {
  private text = '';
  write(chunk: string): void {
    this.text += chunk;
  }
  get lines(): string[] {
    return this.text.split('\n').slice(0, -1);
  }
}

describe('verify command', () => {
  let directory: string;
  let storage: FileSystemCheckpointStorage;
  let out: RecordingOutput;
  beforeEach(async () => {
    directory = await createTemporaryDirectory();
    storage = new FileSystemCheckpointStorage(directory);
    out = new RecordingOutput();
  });
  afterEach(async () => {
    await removeTemporaryDirectory(directory);
  });

  /** Checkpoint 1 of job-1 with one shared file as its operator state. */
  async function aHealthyJob(): Promise<void> {
    const shared = await storage.writeSharedFile(A_JOB, 'sst-1', new TextEncoder().encode('state'));
    await storage.writeMetadata(aCheckpoint(1, { taskStates: { [asTaskId('map-1')]: { operatorState: shared, keyedState: [] } } }));
  }

  it('prints the report and exits 0 when every checkpoint checks out', async () => {
    await aHealthyJob();

    const code = await runVerifyCommand(['--dir', directory, '--job', 'job-1'], out);

    expect(code).to.equal(VerifyExitCode.OK);
    expect(out.lines).to.deep.equal([
      `checkpoint audit of job job-1 in filesystem:${directory}`,
      '  checkpoints checked: 1',
      '  files checked: 2',
      '  missing: 0',
      '  corrupt: 0',
      '  orphans: 0',
      'result: OK',
    ]);
  });

  it('names each missing file and the checkpoints referencing it, and exits 1', async () => {
    await aHealthyJob();
    await storage.deleteFile('job-1/shared/sst-1');

    const code = await runVerifyCommand(['--dir', directory, '--job', 'job-1'], out);

    expect(code).to.equal(VerifyExitCode.PROBLEMS);
    expect(out.lines).to.include.members([
      '  missing: 1',
      `    job-1/shared/sst-1 (checkpoint 1): state file not found in filesystem:${directory} storage`,
      'result: PROBLEMS FOUND',
    ]);
  });

  it('lists orphans, keeps them and exits 1 without --remove-orphans', async () => {
    await aHealthyJob();
    await storage.writeExclusiveFile(A_JOB, asCheckpointId(2), 'op', new Uint8Array(3));

    const code = await runVerifyCommand(['--dir', directory, '--job', 'job-1'], out);

    expect(code).to.equal(VerifyExitCode.PROBLEMS);
    expect(out.lines).to.include.members(['  orphans: 1', '    job-1/chk-2/op (3 bytes, unreferenced)']);
    expect(await readdir(join(directory, 'job-1/chk-2'))).to.deep.equal(['op']);
  });

  it('removes orphans with --remove-orphans and exits 0 when nothing else is wrong', async () => {
    await aHealthyJob();
    await storage.writeExclusiveFile(A_JOB, asCheckpointId(2), 'op', new Uint8Array(3));

    const code = await runVerifyCommand(['--dir', directory, '--job', 'job-1', '--remove-orphans'], out);

    expect(code).to.equal(VerifyExitCode.OK);
    expect(out.lines.slice(-2)).to.deep.equal(['removed 2 orphan(s)', 'result: OK']); // the file, and the chk directory it leaves empty
    expect(await readdir(join(directory, 'job-1'))).to.not.include('chk-2');
  });

  it('keeps the orphans and exits 1 when corrupt metadata could hide their references', async () => {
    await aHealthyJob();
    await writeFile(join(directory, 'job-1/chk-1/_metadata'), 'not metadata');

    const code = await runVerifyCommand(['--dir', directory, '--job', 'job-1', '--remove-orphans'], out);

    expect(code).to.equal(VerifyExitCode.PROBLEMS);
    expect(out.lines).to.include(
      'orphans kept: refusing to remove orphans: the references of job-1/chk-1/_metadata could not be read, so files they reference would look orphaned; fix or remove that metadata, then audit again',
    );
    expect(await readdir(join(directory, 'job-1/shared'))).to.deep.equal(['sst-1']);
  });

  describe('with bad arguments', () => {
    const badArguments: readonly [string, () => string[], () => string][] = [
      ['an unknown option', () => ['--dir', directory, '--jb', 'job-1'], () => "error: Unknown option '--jb'"],
      ['no --job', () => ['--dir', directory], () => 'error: missing required option --job'],
      ['--job without a value', () => ['--dir', directory, '--job'], () => "error: Option '--job <value>' argument missing"],
      ['a --job that is a path', () => ['--dir', directory, '--job', '../job-1'], () => "error: --job '../job-1' is not a job id: it must be a single directory name under --dir"],
      ['a --dir that does not exist', () => ['--dir', join(directory, 'nowhere'), '--job', 'job-1'], () => `error: --dir ${join(directory, 'nowhere')}: no such directory`],
      ['a --job with no directory', () => ['--dir', directory, '--job', 'job-9'], () => `error: --job job-9: no directory ${join(directory, 'job-9')} (is --dir right?)`],
      ['a positional argument', () => ['job-1'], () => "error: Unexpected argument 'job-1'"],
    ];
    for (const [what, argv, message] of badArguments) {
      it(`exits 2 on ${what}, naming it, followed by the usage line`, async () => {
        const code = await runVerifyCommand(argv(), out);

        expect(code).to.equal(VerifyExitCode.BAD_ARGUMENTS);
        expect(out.lines).to.deep.equal([message(), VERIFY_USAGE]);
      });
    }
  });

  it('prints the usage line and exits 0 on --help', async () => {
    expect(await runVerifyCommand(['--help'], out)).to.equal(VerifyExitCode.OK);
    expect(out.lines).to.deep.equal([VERIFY_USAGE]);
  });

  it('audits an empty job directory as OK', async () => {
    await mkdir(join(directory, 'job-1'));

    expect(await runVerifyCommand(['--dir', directory, '--job', 'job-1'], out)).to.equal(VerifyExitCode.OK);
  });
});
