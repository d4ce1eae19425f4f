import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { CliExitCode } from '../../src/cli/exit-code.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';
import { runCliProcess } from './support/cli-process.js';
import { aJobDirectory } from './support/job-directory-fixture.js';

describe('nact-checkpoint command line', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await createTemporaryDirectory();
  });
  afterEach(async () => {
    await removeTemporaryDirectory(directory);
  });

  describe('help', () => {
    it('lists every command, option and exit code on --help, and exits 0', async () => {
      const run = await runCliProcess(['--help']);

      expect(run.exitCode).to.equal(0);
      expect(run.stderr).to.equal('');
      expect(run.lines[0]).to.equal('nact-checkpoint: look into, maintain and report on the checkpoint directory of a nact-checkpoint job');
      for (const command of ['list ', 'inspect <id> ', 'verify ', 'gc ', 'history ', 'report ']) expect(run.lines.some((line) => line.startsWith(`  ${command}`)), command).to.equal(true);
      for (const option of ['--dir <path>', '--job <id>', '--json', '-h, --help', '--version', '--yes', '--out <file>']) {
        expect(run.lines.some((line) => line.startsWith(`  ${option} `)), option).to.equal(true);
      }
      for (const [name, code] of Object.entries(CliExitCode)) {
        expect(run.lines.some((line) => new RegExp(`^ +${code}  ${name} `).test(line)), name).to.equal(true);
      }
    });

    it("prints a command's own usage on '<command> --help' and on 'help <command>'", async () => {
      const flag = await runCliProcess(['gc', '--help']);
      const topic = await runCliProcess(['help', 'gc']);

      expect(flag.exitCode).to.equal(0);
      expect(flag.lines[0]).to.equal('usage: nact-checkpoint gc --dir <path> --job <id> [--yes] [--json]');
      expect(flag.lines).to.include('  --yes         really delete the orphans (without it, only list them)');
      expect(topic.stdout).to.equal(flag.stdout);
    });

    it('prints the version of package.json on --version', async () => {
      const manifest = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };

      const run = await runCliProcess(['--version']);

      expect(run.exitCode).to.equal(0);
      expect(run.lines).to.deep.equal([manifest.version]);
    });
  });

  describe('with a bad command line', () => {
    const badCommandLines: readonly [string, () => string[], () => string, string][] = [
      ['no command', () => ['--dir', directory], () => 'error: missing command; one of list, inspect, verify, gc, history, report', "run 'nact-checkpoint --help' for usage"],
      ['an unknown command', () => ['lsit'], () => "error: unknown command 'lsit'; commands: list, inspect, verify, gc, history, report", "run 'nact-checkpoint --help' for usage"],
      ['an unknown option', () => ['list', '--dir', directory, '--jb', 'job-1'], () => "error: Unknown option '--jb'", "run 'nact-checkpoint --help' for usage"],
      ['the old --remove-orphans (pointing to gc --yes)', () => ['verify', '--remove-orphans', '--dir', directory, '--job', 'job-1'], () => "error: Unknown option '--remove-orphans'; orphans are deleted by 'gc --yes' now", "run 'nact-checkpoint --help' for usage"],
      ['--job without a value', () => ['list', '--dir', directory, '--job'], () => "error: Option '--job <value>' argument missing", "run 'nact-checkpoint --help' for usage"],
      ['an option of another command', () => ['verify', '--yes', '--dir', directory, '--job', 'job-1'], () => 'error: --yes is an option of gc, not of verify', "run 'nact-checkpoint verify --help' for usage"],
      ['an unexpected argument', () => ['list', 'job-1', '--dir', directory], () => "error: unexpected argument 'job-1' for list", "run 'nact-checkpoint list --help' for usage"],
      ['no --job, naming the jobs found', () => ['list', '--dir', directory], () => `error: missing required option --job <id> (job directories under ${directory}: job-1)`, "run 'nact-checkpoint list --help' for usage"],
      ['a --job that is a path', () => ['list', '--dir', directory, '--job', '../job-1'], () => "error: --job '../job-1' is not a job id: it must be a single directory name under --dir", "run 'nact-checkpoint list --help' for usage"],
      ['inspect without an id', () => ['inspect', '--dir', directory, '--job', 'job-1'], () => 'error: inspect needs the checkpoint id: nact-checkpoint inspect <id> --dir <dir> --job <id>', "run 'nact-checkpoint inspect --help' for usage"],
      ['inspect with an id that is not one', () => ['inspect', '1.5', '--dir', directory, '--job', 'job-1'], () => "error: '1.5' is not a checkpoint id: ids are integers starting at 1", "run 'nact-checkpoint inspect --help' for usage"],
    ];
    for (const [what, argv, message, hint] of badCommandLines) {
      it(`exits 2 on ${what}, naming it on stderr`, async () => {
        await aJobDirectory(directory);

        const run = await runCliProcess(argv());

        expect(run.exitCode).to.equal(CliExitCode.USAGE);
        expect(run.stdout).to.equal('');
        expect(run.errorLines).to.deep.equal([message(), hint]);
      });
    }

    it('prints the usage error as a JSON document on stdout with --json', async () => {
      const run = await runCliProcess(['list', '--json', '--dir', directory]);

      expect(run.exitCode).to.equal(CliExitCode.USAGE);
      expect(run.stderr).to.equal('');
      expect(JSON.parse(run.stdout)).to.deep.equal({
        command: 'list',
        error: { code: 'USAGE', exitCode: 2, message: `missing required option --job <id> (no job directories under ${directory})` },
      });
    });
  });

  describe('on a path that is not a job with checkpoints', () => {
    const commands: readonly (readonly string[])[] = [['list'], ['inspect', '1'], ['verify'], ['gc', '--yes']];

    for (const command of commands) {
      const name = command.join(' ');

      it(`${name}: says "not a directory" for a --dir that is a file, and exits 5`, async () => {
        await writeFile(join(directory, 'file'), 'x');

        const run = await runCliProcess([...command, '--dir', join(directory, 'file'), '--job', 'job-1']);

        expect(run.exitCode).to.equal(CliExitCode.NOT_A_DIRECTORY);
        expect(run.errorLines).to.deep.equal([`error: --dir ${join(directory, 'file')}: not a directory (it is a file)`]);
      });

      it(`${name}: says "not a directory" for a job path that is a file, and exits 5`, async () => {
        await writeFile(join(directory, 'job-1'), 'x');

        const run = await runCliProcess([...command, '--dir', directory, '--job', 'job-1']);

        expect(run.exitCode).to.equal(CliExitCode.NOT_A_DIRECTORY);
        expect(run.errorLines).to.deep.equal([`error: ${join(directory, 'job-1')}: not a directory (it is a file); --job names a directory under --dir`]);
      });

      it(`${name}: exits 3 for a --dir that does not exist`, async () => {
        const run = await runCliProcess([...command, '--dir', join(directory, 'nowhere'), '--job', 'job-1']);

        expect(run.exitCode).to.equal(CliExitCode.NOT_A_JOB_DIRECTORY);
        expect(run.errorLines).to.deep.equal([`error: --dir ${join(directory, 'nowhere')}: no such directory`]);
      });

      it(`${name}: exits 3 for a job that has no directory, naming the jobs there`, async () => {
        await aJobDirectory(directory);

        const run = await runCliProcess([...command, '--dir', directory, '--job', 'job-9']);

        expect(run.exitCode).to.equal(CliExitCode.NOT_A_JOB_DIRECTORY);
        expect(run.errorLines).to.deep.equal([`error: no job directory ${join(directory, 'job-9')} (job directories under ${directory}: job-1)`]);
      });

      it(`${name}: exits 3 for a directory that is not laid out as a job directory`, async () => {
        await mkdir(join(directory, 'photos', 'holiday'), { recursive: true });

        const run = await runCliProcess([...command, '--dir', directory, '--job', 'photos']);

        expect(run.exitCode).to.equal(CliExitCode.NOT_A_JOB_DIRECTORY);
        expect(run.errorLines).to.deep.equal([
          `error: ${join(directory, 'photos')} is not a job directory: it holds no chk-<id>/, shared/, taskowned/, checkpoint-id-counter or checkpoint-history.json (is --dir right?)`,
        ]);
      });

      it(`${name}: exits 4 for a job directory without checkpoints, never "result: OK"`, async () => {
        await aJobDirectory(directory);
        await removeTemporaryDirectory(join(directory, 'job-1', 'chk-1'));
        await removeTemporaryDirectory(join(directory, 'job-1', 'chk-2'));

        const run = await runCliProcess([...command, '--dir', directory, '--job', 'job-1']);

        expect(run.exitCode).to.equal(CliExitCode.NO_CHECKPOINTS);
        expect(run.stdout).to.equal('');
        expect(run.errorLines).to.deep.equal([`error: job job-1 has no checkpoints: no chk-<id>/_metadata under ${join(directory, 'job-1')}`]);
        expect(await readFile(join(directory, 'job-1', 'shared', 'sst-1'), 'utf8')).to.equal('state');
      });
    }

    it('hints at the parent when --dir names a job directory itself', async () => {
      await aJobDirectory(directory);

      const run = await runCliProcess(['list', '--dir', join(directory, 'job-1'), '--job', 'job-1']);

      expect(run.exitCode).to.equal(CliExitCode.NOT_A_JOB_DIRECTORY);
      expect(run.errorLines).to.deep.equal([
        `error: no job directory ${join(directory, 'job-1', 'job-1')}; --dir ${join(directory, 'job-1')} is itself a job directory: pass its parent as --dir and its name as --job`,
      ]);
    });

    it('prints the failure as a JSON document with its exit code name with --json', async () => {
      await mkdir(join(directory, 'job-1', 'shared'), { recursive: true });

      const run = await runCliProcess(['verify', '--dir', directory, '--job', 'job-1', '--json']);

      expect(run.exitCode).to.equal(CliExitCode.NO_CHECKPOINTS);
      expect(JSON.parse(run.stdout)).to.deep.equal({
        command: 'verify',
        error: { code: 'NO_CHECKPOINTS', exitCode: 4, message: `job job-1 has no checkpoints: no chk-<id>/_metadata under ${join(directory, 'job-1')}` },
      });
    });
  });

  it('reads ./checkpoints when no --dir is given', async () => {
    await aJobDirectory(join(directory, 'checkpoints'));

    const run = await runCliProcess(['list', '--job', 'job-1'], { cwd: directory });

    expect(run.exitCode).to.equal(0);
    expect(run.lines[0]).to.equal('Checkpoints of job job-1 in checkpoints/job-1');
  });
});
