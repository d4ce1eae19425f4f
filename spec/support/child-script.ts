import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** How a child script ended. `timedOut` when it was still running at the deadline (it is then killed). */
export interface ScriptOutcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/**
 * Runs a TypeScript script in a child Node.js process (through tsx) and waits until it exits, or kills it at the
 * deadline: for specs about what a whole process does (exits, stays alive, is killed).
 */
export function runScript(script: URL, args: readonly string[], deadlineMs = 30_000, env: NodeJS.ProcessEnv = process.env): Promise<ScriptOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(script), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    const deadline = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, deadlineMs);
    child.on('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(deadline);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}
