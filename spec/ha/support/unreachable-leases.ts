import type { LeaseRecord, LeaseRenewal, LeaseTable } from '../../../src/ha/high-availability-backend.js';
import type { LeaderSession } from '../../../src/ha/leader-session.js';

/**
 * Leases whose storage becomes unreachable on demand: with `unreachable = true` every call rejects, as a refused
 * connection would; with `hanging = true` every call stays pending until `hanging` is set back, as a partitioned
 * database would.
 */
export class UnreachableLeases implements LeaseTable {
  unreachable = false;
  private pending: (() => void)[] = [];
  private hangs = false;
  private hungListeners: (() => void)[] = [];

  /** Resolves when the next call starts hanging. */
  whenACallHangs(): Promise<void> {
    return new Promise((resolve) => this.hungListeners.push(resolve));
  }

  get hanging(): boolean {
    return this.hangs;
  }

  set hanging(value: boolean) {
    this.hangs = value;
    if (!value) for (const resume of this.pending.splice(0)) resume();
  }

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
    if (this.hangs) {
      const resumed = new Promise<void>((resume) => this.pending.push(resume)).then(call);
      for (const listener of this.hungListeners.splice(0)) listener();
      return resumed;
    }
    return this.unreachable ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) : call();
  }
}
