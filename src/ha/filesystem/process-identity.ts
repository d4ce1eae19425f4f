import { readFileSync } from 'node:fs';

/** Who holds a lease, a lock file or a checkpoint lock in filesystem mode: enough to tell later whether it is gone. */
export interface ProcessIdentity {
  readonly pid: number;
  /** The process's start time in clock ticks since boot (Linux `/proc/<pid>/stat`), or null where unknown: guards against pid reuse. */
  readonly startTime: string | null;
  /** The machine's boot id (Linux), or null: a record from before a reboot names a dead process. */
  readonly bootId: string | null;
  /** The services instance inside that process. */
  readonly instanceId: string;
}

/** Services instances of this process that are open; a closed one counts as dead even though its process lives. */
const openInstances = new Set<string>();

/** Marks a services instance of this process as open (alive) or closed (dead). */
export function markInstanceOpen(instanceId: string, open: boolean): void {
  if (open) openInstances.add(instanceId);
  else openInstances.delete(instanceId);
}

/** This process, as the services instance `instanceId`. */
export function currentProcessIdentity(instanceId: string): ProcessIdentity {
  return { pid: process.pid, startTime: startTimeOf(process.pid), bootId: currentBootId(), instanceId };
}

/**
 * False only when the process is known to be gone: no such pid, a different process under that pid (start time),
 * a record from before the last reboot, or a closed services instance of this very process. A stopped (SIGSTOP)
 * process is alive. Where nothing can be checked, the answer is true: safety over liveness.
 */
export function isProcessAlive(identity: ProcessIdentity): boolean {
  if (identity.bootId !== null && currentBootId() !== null && identity.bootId !== currentBootId()) return false;
  if (identity.pid === process.pid && identity.startTime === startTimeOf(process.pid)) return openInstances.has(identity.instanceId);
  try {
    process.kill(identity.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (identity.startTime !== null) {
    const now = startTimeOf(identity.pid);
    if (now !== null && now !== identity.startTime) return false;
  }
  return true;
}

/** Checks the shape of an identity read back from a file. */
export function isProcessIdentity(value: unknown): value is ProcessIdentity {
  if (typeof value !== 'object' || value === null) return false;
  const identity = value as Record<string, unknown>;
  return Number.isSafeInteger(identity['pid']) && (identity['startTime'] === null || typeof identity['startTime'] === 'string')
    && (identity['bootId'] === null || typeof identity['bootId'] === 'string') && typeof identity['instanceId'] === 'string';
}

let bootId: string | null | undefined;

function currentBootId(): string | null {
  if (bootId === undefined) bootId = readOrNull('/proc/sys/kernel/random/boot_id')?.trim() ?? null;
  return bootId;
}

function startTimeOf(pid: number): string | null {
  const stat = readOrNull(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // Field 2 (the command) may hold spaces and parentheses: count fields after the last ')'. starttime is field 22.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
