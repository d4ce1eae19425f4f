import { randomBytes } from 'node:crypto';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ensureDirectory } from '../../storage/atomic-file-writer.js';
import { FileLockTimeoutError } from './file-lock-timeout-error.js';
import { isProcessAlive, isProcessIdentity, type ProcessIdentity } from './process-identity.js';

interface LockContent {
  readonly holder: ProcessIdentity;
  /** Tells this acquisition from any other, so a lock is only ever released or broken as the one that was seen. */
  readonly nonce: string;
}

/**
 * Runs `work` while holding the lock file `path` (filesystem mode's mutual exclusion between processes on one machine).
 *
 * Acquiring is an exclusive create: the content is written to a private temporary file and hard-linked to `path`,
 * which fails atomically when the lock exists, so a lock file is never seen half-written. A lock whose holder is dead
 * (see isProcessAlive) is broken by renaming it away and checking that the renamed file is the one seen dead (a live
 * lock moved by a racing breaker is put back). A lock held by a live process is waited for, polling with backoff, up
 * to `timeoutMs`.
 * @throws FileLockTimeoutError naming the holder when a live holder keeps it for `timeoutMs`.
 */
export async function withFileLock<T>(path: string, holder: ProcessIdentity, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  const nonce = randomBytes(12).toString('hex');
  await acquire(path, { holder, nonce }, timeoutMs);
  try {
    return await work();
  } finally {
    await release(path, nonce);
  }
}

async function acquire(path: string, content: LockContent, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const bytes = JSON.stringify(content);
  await ensureDirectory(dirname(path));
  let wait = 1;
  for (;;) {
    const temporary = `${path}.${content.nonce}.tmp`;
    await writeFile(temporary, bytes, { flag: 'wx' });
    try {
      await link(temporary, path);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await unlink(temporary).catch(() => undefined);
    }
    const seen = await readLock(path);
    if (seen === 'absent') continue;
    if (seen === 'unreadable' || !isProcessAlive(seen.holder)) {
      await breakLock(path, seen === 'unreadable' ? null : seen.nonce);
      continue;
    }
    if (Date.now() >= deadline) throw new FileLockTimeoutError(path, seen.holder, timeoutMs);
    await delay(wait);
    wait = Math.min(wait * 2, 25);
  }
}

async function release(path: string, nonce: string): Promise<void> {
  const seen = await readLock(path);
  // Only our own acquisition is removed; if it was broken (we were wrongly judged dead), the new holder's stays.
  if (seen !== 'absent' && seen !== 'unreadable' && seen.nonce === nonce) await unlink(path).catch(() => undefined);
}

/** Removes the lock seen with `deadNonce` (null: an unreadable one), never another. */
async function breakLock(path: string, deadNonce: string | null): Promise<void> {
  const moved = `${path}.broken-${randomBytes(8).toString('hex')}`;
  try {
    await rename(path, moved);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const content = await readLock(moved);
  // An unreadable lock is garbage whoever left it (locks appear complete, by link); a readable one must be the one seen dead.
  const isLive = content !== 'unreadable' && content !== 'absent' && content.nonce !== deadNonce;
  if (isLive) await link(moved, path).catch(() => undefined);
  await unlink(moved).catch(() => undefined);
}

async function readLock(path: string): Promise<LockContent | 'absent' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  try {
    const content = JSON.parse(text) as Partial<LockContent>;
    return isProcessIdentity(content.holder) && typeof content.nonce === 'string' ? (content as LockContent) : 'unreadable';
  } catch {
    return 'unreadable';
  }
}
