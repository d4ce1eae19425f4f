import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';
import {
  COMMONJS_SCRIPT, CONSUMER_PACKAGE_JSON, PLAIN_NODE_SCRIPT, readmeSnippetsTsconfig, strictTsconfig, SUBPATHS_SCRIPT, TYPESCRIPT_CONSUMER,
} from './support/consumer-project.js';
import { typeScriptSnippetsOf } from './support/readme-snippets.js';
import { runCommand, runSuccessfully, type CommandRun } from './support/run-command.js';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(REPOSITORY, 'node_modules/typescript/bin/tsc');
const bin = (name: string): string => join(REPOSITORY, 'node_modules/.bin', name);
/** What a failing child process printed, for the assertion message. */
const printed = (run: CommandRun): string => `exit ${String(run.exitCode)}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;

interface PackedFile {
  readonly path: string;
}

/*
 * The package as a user gets it: `npm pack` (which builds dist/ through `prepare`), then the tarball installed with
 * nact into a fresh project. One pack and one install for every example below.
 */
describe('the installed package (packed, then installed with nact into a fresh project)', () => {
  let project: string;
  let tarball: string;
  let packedFiles: readonly string[];

  before(async function () {
    this.timeout(300_000);
    project = await createTemporaryDirectory();
    const pack = await runSuccessfully('npm', ['pack', '--json', '--pack-destination', project], REPOSITORY);
    const [packed] = JSON.parse(pack.stdout.slice(pack.stdout.search(/^\[/m))) as { filename: string; files: PackedFile[] }[];
    if (packed === undefined) throw new Error(`npm pack printed no package:\n${pack.stdout}`);
    tarball = join(project, packed.filename);
    packedFiles = packed.files.map((file) => file.path);

    const nactVersion = (JSON.parse(await readFile(join(REPOSITORY, 'node_modules/nact/package.json'), 'utf8')) as { version: string }).version;
    await writeFile(join(project, 'package.json'), CONSUMER_PACKAGE_JSON);
    await runSuccessfully('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, `nact@${nactVersion}`], project);
  });

  after(async () => {
    if (project !== undefined) await removeTemporaryDirectory(project);
  });

  it('ships the build, its sources for the maps, README, LICENSE and CHANGELOG, and nothing else', () => {
    const topLevel = [...new Set(packedFiles.map((path) => path.split('/')[0]))].sort();

    expect(topLevel).to.deep.equal(['CHANGELOG.md', 'LICENSE', 'README.md', 'dist', 'package.json', 'src']);
    expect(packedFiles).to.include.members([
      'dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'dist/index.d.ts.map', 'dist/cli/main.js',
      'dist/testing/index.js', 'dist/testing/index.d.ts', 'dist/prometheus/index.js', 'dist/prometheus/index.d.ts',
    ]);
    expect(packedFiles.filter((path) => /\.spec\.|(^|\/)(spec|bench|examples|\.ci)\//.test(path))).to.deep.equal([]);
  });

  /** Runs the plain script with its `./checkpoints` in a directory of its own under the project, and returns that directory. */
  async function runPlainScript(name: string): Promise<{ directory: string; run: CommandRun }> {
    await writeFile(join(project, 'app.mjs'), PLAIN_NODE_SCRIPT);
    const directory = join(project, name);
    await mkdir(directory);
    return { directory, run: await runCommand(process.execPath, ['../app.mjs'], directory) };
  }

  it('runs a plain node ESM script that spawns a coordinator and completes a checkpoint', async () => {
    const { run } = await runPlainScript('plain-run');

    expect(run.exitCode, printed(run)).to.equal(0);
    expect(JSON.parse(run.stdout)).to.deep.equal({ status: 'completed', checkpointId: 1, counter: { kind: 'inline', value: 42 } });
  });

  it('runs the testing subpath without a test framework, and the prometheus subpath names its missing peer', async () => {
    await writeFile(join(project, 'subpaths.mjs'), SUBPATHS_SCRIPT);

    const run = await runCommand(process.execPath, ['subpaths.mjs'], project);

    expect(run.exitCode, printed(run)).to.equal(0);
    expect(JSON.parse(run.stdout)).to.deep.equal({
      status: 'completed',
      log: ['a:Trigger(1)', 'a:Ack(1)'],
      metrics: "nact-checkpoint/prometheus needs the 'prom-client' package, an optional peer dependency of nact-checkpoint: run `npm install prom-client`",
    });
  });

  it('loads with require from CommonJS', async () => {
    await writeFile(join(project, 'app.cjs'), COMMONJS_SCRIPT);

    const run = await runCommand(process.execPath, ['app.cjs'], project);

    expect(run.exitCode, printed(run)).to.equal(0);
    expect(run.stdout).to.equal('function function\n');
  });

  it('type-checks a strict TypeScript consumer with types: [] and skipLibCheck: false', async () => {
    await writeFile(join(project, 'consumer.ts'), TYPESCRIPT_CONSUMER);
    await writeFile(join(project, 'tsconfig.json'), strictTsconfig(true));
    await writeFile(join(project, 'tsconfig.no-dom.json'), strictTsconfig(false));

    const run = await runCommand(process.execPath, [TSC, '-p', 'tsconfig.json'], project);
    const withoutDom = await runCommand(process.execPath, [TSC, '-p', 'tsconfig.no-dom.json'], project);

    expect(run.exitCode, printed(run)).to.equal(0);
    // Without the DOM lib only nact's own declarations fail: this package's need no ambient type at all.
    const errors = withoutDom.stdout.split('\n').filter((line) => / error TS\d+:/.test(line));
    expect(errors.filter((line) => !line.startsWith('node_modules/nact/')), printed(withoutDom)).to.deep.equal([]);
  });

  it("type-checks every ```ts snippet of the README as written", async () => {
    const snippets = typeScriptSnippetsOf(await readFile(join(REPOSITORY, 'README.md'), 'utf8'));
    const files = snippets.map((_, index) => `readme-snippet-${index + 1}.ts`);
    for (const [index, snippet] of snippets.entries()) await writeFile(join(project, files[index] ?? ''), snippet);
    await writeFile(join(project, 'tsconfig.readme.json'), readmeSnippetsTsconfig(join(REPOSITORY, 'node_modules/@types'), files));

    const run = await runCommand(process.execPath, [TSC, '-p', 'tsconfig.readme.json'], project);

    expect(snippets.length).to.be.greaterThan(1);
    expect(run.exitCode, printed(run)).to.equal(0);
  });

  it('runs `npx nact-checkpoint --help`, and lists the checkpoint the script wrote', async () => {
    const { directory, run } = await runPlainScript('cli-run');

    const help = await runCommand('npx', ['nact-checkpoint', '--help'], project);
    const list = await runCommand('npx', ['nact-checkpoint', 'list', '--job', 'installed', '--json'], directory);

    expect(run.exitCode, printed(run)).to.equal(0);

    expect(help.exitCode, printed(help)).to.equal(0);
    expect(help.stdout).to.match(/^usage: nact-checkpoint <command>/m);
    expect(help.stdout).to.match(/^exit codes:$/m);
    expect(list.exitCode, printed(list)).to.equal(0);
    expect((JSON.parse(list.stdout) as { checkpoints: { id: number; kind: string }[] }).checkpoints.map(({ id, kind }) => ({ id, kind }))).to.deep.equal([
      { id: 1, kind: 'checkpoint' },
    ]);
  });

  it('passes publint (strict) on the installed package', async () => {
    const run = await runCommand(bin('publint'), ['run', join(project, 'node_modules/nact-checkpoint'), '--strict', '--pack', 'false'], REPOSITORY);

    expect(run.exitCode, printed(run)).to.equal(0);
    expect(run.stdout).to.include('All good!');
  });

  it('passes Are the Types Wrong (ESM-only profile) on the tarball', async () => {
    const run = await runCommand(bin('attw'), [tarball, '--profile', 'esm-only', '--no-definitely-typed', '--format', 'ascii', '--no-color'], REPOSITORY);

    expect(run.exitCode, printed(run)).to.equal(0);
  });
});
