import { isCurrent } from '../fencing.js';
import type { LeaseRecord, LeaseRenewal, LeaseTable } from '../high-availability-backend.js';
import { HighAvailabilityRecordKind } from '../high-availability-record.js';
import { WriteOutcome } from '../high-availability-storage-error.js';
import type { LeaderSession } from '../leader-session.js';
import { leaseRecordOf, type FileSystemFence, type LeaseFile } from './filesystem-fence.js';
import { writeRecordFile } from './filesystem-records.js';
import { isProcessAlive, isProcessIdentity } from './process-identity.js';

/** Leases in `leases/<scope>.lease`, changed only while holding `leases/<scope>.lock`. */
export class FileSystemLeases implements LeaseTable {
  constructor(private readonly fence: FileSystemFence) {}

  async read(scope: string): Promise<LeaseRecord | null> {
    return leaseRecordOf(await this.fence.readLease(scope).catch((error: unknown) => {
      throw this.fence.failure(`reading the lease of scope '${scope}'`, WriteOutcome.NOT_APPLIED, error);
    }));
  }

  tryAcquire(scope: string, contenderId: string, expected: LeaseRecord | null): Promise<LeaderSession | null> {
    return this.fence.locked(scope, `taking over the lease of scope '${scope}'`, async () => {
      const current = leaseRecordOf(await this.fence.readLease(scope));
      if (!sameLease(current, expected)) return null;
      const generation = (current?.generation ?? 0) + 1;
      await this.write({ scope, generation, holder: contenderId, renewCount: 0, holderProcess: this.fence.identity });
      return { scope, generation, contenderId };
    });
  }

  renew(session: LeaderSession): Promise<LeaseRenewal> {
    return this.fence.locked(session.scope, `renewing the lease of scope '${session.scope}'`, async () => {
      const current = await this.fence.readLease(session.scope);
      if (current === null || !isCurrent(session, current)) return { renewed: false, current: leaseRecordOf(current) };
      await this.write({ ...current, renewCount: current.renewCount + 1, holderProcess: this.fence.identity });
      return { renewed: true };
    });
  }

  release(session: LeaderSession): Promise<void> {
    return this.fence.locked(session.scope, `releasing the lease of scope '${session.scope}'`, async () => {
      const current = await this.fence.readLease(session.scope);
      if (current !== null && isCurrent(session, current)) await this.write({ ...current, holder: null, holderProcess: null });
    });
  }

  async isHolderAlive(record: LeaseRecord): Promise<boolean> {
    if (record.holderLiveness === null) return false;
    const identity: unknown = JSON.parse(record.holderLiveness);
    return !isProcessIdentity(identity) || isProcessAlive(identity);
  }

  private write(lease: LeaseFile): Promise<void> {
    return writeRecordFile(this.fence.layout.lease(lease.scope), HighAvailabilityRecordKind.LEASE, lease);
  }
}

function sameLease(current: LeaseRecord | null, expected: LeaseRecord | null): boolean {
  if (current === null || expected === null) return current === expected;
  return current.generation === expected.generation && current.holder === expected.holder && current.renewCount === expected.renewCount;
}
