import type { LeaseRecord, LeaseRenewal, LeaseTable } from '../../../src/ha/high-availability-backend.js';
import type { LeaderSession } from '../../../src/ha/leader-session.js';

/** Leases whose storage becomes unreachable on demand (`unreachable = true`): every call then rejects, as a lost database would. */
export class UnreachableLeases implements LeaseTable {
  unreachable = false;

  constructor(private readonly leases: LeaseTable) {}

  read(scope: string): Promise<LeaseRecord | null> {
    return this.guard(() => this.leases.read(scope));
  }

  tryAcquire(scope: string, contenderId: string, expected: LeaseRecord | null): Promise<LeaderSession | null> {
    return this.guard(() => this.leases.tryAcquire(scope, contenderId, expected));
  }

  renew(session: LeaderSession): Promise<LeaseRenewal> {
    return this.guard(() => this.leases.renew(session));
  }

  release(session: LeaderSession): Promise<void> {
    return this.guard(() => this.leases.release(session));
  }

  isHolderAlive(record: LeaseRecord): Promise<boolean> {
    return this.guard(() => this.leases.isHolderAlive(record));
  }

  private guard<T>(call: () => Promise<T>): Promise<T> {
    return this.unreachable ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) : call();
  }
}
