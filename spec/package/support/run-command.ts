import { spawn } from 'node:child_process';

/** How a command ended and what it printed. */
export interface CommandRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to its end (no shell), with npm's `npm_*` variables removed from the environment: a child `npm`
 * must read its configuration from its own project, not from the `npm test` that runs the specs.
 */
export function runCommand(command: string, args: readonly string[], cwd: string): Promise<CommandRun> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_') && name !== 'INIT_CWD'));
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}

/** Runs a command that must succeed: rejects with everything it printed otherwise. */
export async function runSuccessfully(command: string, args: readonly string[], cwd: string): Promise<CommandRun> {
  const run = await runCommand(command, args, cwd);
  if (run.exitCode !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${String(run.exitCode)}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`);
  }
  return run;
}
