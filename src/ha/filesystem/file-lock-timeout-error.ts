import type { ProcessIdentity } from './process-identity.js';

/**
 * Thrown when a lock file of the filesystem mode stayed held by a live process for the whole `lockTimeout`. A lock whose
 * holder is alive is never broken, even when that process is stopped (SIGSTOP): safety over liveness.
 */
export class FileLockTimeoutError extends Error {
  override readonly name = 'FileLockTimeoutError';
  constructor(readonly path: string, readonly holder: ProcessIdentity, readonly timeoutMs: number) {
    super(
      `the lock file ${path} is still held by live process ${holder.pid} after ${timeoutMs} ms; ` +
        'it is never broken while its holder lives (a stopped process blocks it): resume or end that process',
    );
  }
}
