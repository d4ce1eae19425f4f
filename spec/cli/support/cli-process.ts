import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What one run of the CLI process printed, and how it exited. */
export interface CliRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout split into lines, without the final newline. */
  readonly lines: string[];
  /** stderr split into lines, without the final newline. */
  readonly errorLines: string[];
}

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
/** The tsx loader by its URL, so the process finds it whatever its working directory. */
const TSX_LOADER = import.meta.resolve('tsx');

/** Runs `nact-checkpoint <args>` from the sources as a real process (node with the tsx loader) and waits for it to exit. */
export function runCliProcess(args: readonly string[], options: { readonly cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX_LOADER, MAIN, ...args], { cwd: options.cwd ?? process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr, lines: linesOf(stdout), errorLines: linesOf(stderr) }));
  });
}

function linesOf(text: string): string[] {
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}
