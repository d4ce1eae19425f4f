import { CorruptStateError } from '../../storage/corrupt-state-error.js';
import { InvalidOptionError } from '../../core/invalid-option-error.js';
import { assertCurrent } from '../fencing.js';
import type { LeaseRecord } from '../high-availability-backend.js';
import { HighAvailabilityStorageError, WriteOutcome } from '../high-availability-storage-error.js';
import { HighAvailabilityRecordKind } from '../high-availability-record.js';
import type { LeaderSession } from '../leader-session.js';
import { StaleLeaderError } from '../stale-leader-error.js';
import type { FileSystemHighAvailabilityLayout } from './filesystem-high-availability-layout.js';
import { readRecordFile } from './filesystem-records.js';
import { withFileLock } from './file-lock.js';
import { isProcessIdentity, type ProcessIdentity } from './process-identity.js';

/** A lease as its file holds it. */
export interface LeaseFile {
  readonly scope: string;
  readonly generation: number;
  readonly holder: string | null;
  readonly renewCount: number;
  readonly holderProcess: ProcessIdentity | null;
}

/**
 * The filesystem mode's mutual exclusion and fencing: every change of a scope's lease, and every write fenced by a
 * session of that scope, runs while holding the scope's lock file, after checking the lease file. A takeover needs the
 * same lock, so it can never slip between the check and the write.
 */
export class FileSystemFence {
  constructor(
    readonly layout: FileSystemHighAvailabilityLayout,
    readonly identity: ProcessIdentity,
    private readonly lockTimeout: number,
    readonly description: string,
  ) {}

  /** Runs `work` holding the scope's lock. Failures other than the domain's own become HighAvailabilityStorageError. */
  locked<T>(scope: string, operation: string, work: () => Promise<T>): Promise<T> {
    return this.lockedAt(this.layout.lock(scope), operation, work);
  }

  /** Runs `work` holding the lock file `path` (`<record>.lock`); failures are wrapped as by {@link locked}. */
  lockedAt<T>(path: string, operation: string, work: () => Promise<T>): Promise<T> {
    let started = false;
    return withFileLock(path, this.identity, this.lockTimeout, () => {
      started = true;
      return work();
    }).catch((error: unknown) => {
      throw this.failure(operation, started ? WriteOutcome.UNKNOWN : WriteOutcome.NOT_APPLIED, error);
    });
  }

  /**
   * Runs `work` holding the session's scope lock, once the lease file shows the session is current, and then the
   * lock of the record it changes (`recordLock`), so that writers fenced by different scopes, and unfenced lock
   * releases, never interleave on one record. Locks are always taken scope first, so they cannot deadlock.
   */
  fenced<T>(session: LeaderSession, operation: string, recordLock: string, work: () => Promise<T>): Promise<T> {
    return this.locked(session.scope, operation, async () => {
      const lease = await this.readLease(session.scope).catch((error: unknown) => {
        throw this.failure(operation, WriteOutcome.NOT_APPLIED, error);
      });
      assertCurrent(session, lease, operation);
      return this.lockedAt(recordLock, operation, work);
    });
  }

  /** @throws CorruptStateError naming the lease file when it cannot be verified. */
  async readLease(scope: string): Promise<LeaseFile | null> {
    const path = this.layout.lease(scope);
    const value = await readRecordFile(path, HighAvailabilityRecordKind.LEASE);
    if (value === null) return null;
    if (!isLeaseFile(value) || value.scope !== scope) throw new CorruptStateError(path, `not a lease of scope '${scope}'`);
    return value;
  }

  /** Wraps a failure of `operation`, passing the domain's own errors (stale leader, bad input, corrupt state) through. */
  failure(operation: string, outcome: WriteOutcome, error: unknown): Error {
    if (isDomainError(error)) return error;
    return new HighAvailabilityStorageError(this.description, operation, outcome, error);
  }
}

/** The lease record the shared code sees. */
export function leaseRecordOf(lease: LeaseFile | null): LeaseRecord | null {
  if (lease === null) return null;
  return { scope: lease.scope, generation: lease.generation, holder: lease.holder, renewCount: lease.renewCount, holderLiveness: lease.holderProcess === null ? null : JSON.stringify(lease.holderProcess) };
}

function isDomainError(error: unknown): error is Error {
  return error instanceof StaleLeaderError || error instanceof CorruptStateError || error instanceof RangeError
    || error instanceof InvalidOptionError || error instanceof HighAvailabilityStorageError;
}

function isLeaseFile(value: unknown): value is LeaseFile {
  if (typeof value !== 'object' || value === null) return false;
  const lease = value as Record<string, unknown>;
  return typeof lease['scope'] === 'string' && Number.isSafeInteger(lease['generation']) && (lease['holder'] === null || typeof lease['holder'] === 'string')
    && Number.isSafeInteger(lease['renewCount']) && (lease['holderProcess'] === null || isProcessIdentity(lease['holderProcess']));
}
