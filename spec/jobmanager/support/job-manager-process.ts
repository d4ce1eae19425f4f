import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { JobManagerChildCommand, JobManagerChildConfig } from './job-manager-child-protocol.js';

/** The child script, for whoever spawns it (specs, the failover bench). */
export const JOB_MANAGER_CHILD = fileURLToPath(new URL('./job-manager-child.ts', import.meta.url));

/** One line a child printed: `e` names it, `at` is the child's wall clock (ms). */
export type ChildLine = { readonly e: string; readonly at: number } & Readonly<Record<string, unknown>>;

interface Waiter {
  readonly matches: (line: ChildLine) => boolean;
  readonly from: number;
  readonly resolve: (line: ChildLine) => void;
}

/**
 * A job manager child process seen from a spec: every line it printed, waits for a line with a deadline (a real process
 * is involved), commands on its stdin, and signals.
 */
export class JobManagerProcess {
  readonly lines: ChildLine[] = [];
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
  private stderr = '';
  private waiters: Waiter[] = [];
  private readonly child: ChildProcess;

  constructor(readonly config: JobManagerChildConfig) {
    this.child = spawn(process.execPath, ['--import', 'tsx', JOB_MANAGER_CHILD, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (text) => this.receive(text));
    this.child.stderr!.on('data', (chunk: Buffer) => { this.stderr += chunk.toString('utf8'); });
    this.child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get name(): string {
    return this.config.name;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Lines named `e`, in order. */
  all(e: string): ChildLine[] {
    return this.lines.filter((line) => line.e === e);
  }

  /** The first line from position `from` on that matches; fails naming `what` (and what the child printed) after the deadline. */
  waitFor(what: string, matches: (line: ChildLine) => boolean, deadlineMs = 30_000, from = 0): Promise<ChildLine> {
    const seen = this.lines.slice(from).find(matches);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const deadline = setTimeout(() => {
        const tail = this.lines.slice(-15).map((line) => JSON.stringify(line)).join('\n');
        reject(new Error(`${this.name}: no line where ${what} within ${deadlineMs} ms; last lines:\n${tail}\nstderr:\n${this.stderr.slice(-2000)}`));
      }, deadlineMs);
      this.waiters.push({ matches, from, resolve: (line) => {
        clearTimeout(deadline);
        resolve(line);
      } });
    });
  }

  /** Waits for the next line named `e` (from now on, or from `from`). */
  next(e: string, what: string, deadlineMs = 30_000, from = this.lines.length): Promise<ChildLine> {
    return this.waitFor(`${e} (${what})`, (line) => line.e === e, deadlineMs, from);
  }

  send(command: JobManagerChildCommand): void {
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGKILLs the process (when it still runs) and waits until it is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  get errorOutput(): string {
    return this.stderr;
  }

  private receive(text: string): void {
    let line: ChildLine;
    try {
      line = JSON.parse(text) as ChildLine;
    } catch {
      line = { e: 'unparsable', at: Date.now(), text };
    }
    this.lines.push(line);
    const index = this.lines.length - 1;
    const due = this.waiters.filter((waiter) => index >= waiter.from && waiter.matches(line));
    this.waiters = this.waiters.filter((waiter) => !due.includes(waiter));
    for (const waiter of due) waiter.resolve(line);
  }
}
