import { randomUUID } from 'node:crypto';
import type { Cancellable, Clock } from '../actor/clock.js';
import { errorMessage } from '../core/error-message.js';
import { defaultLogger, LogLevel, logSafely, type LogFields, type Logger } from '../core/logger.js';
import type { LeaseRecord, LeaseTable } from './high-availability-backend.js';
import type { LeaderContender } from './leader-contender.js';
import type { LeaderSession } from './leader-session.js';
import { LeadershipLossReason } from './leadership-loss-reason.js';

/** How leases are timed; validated by the services' options. */
export interface LeaseTiming {
  /** How long a lease lasts without renewal before a standby may take over, judged by the standby's own clock. */
  readonly leaseDuration: number;
  /** How often the leader renews and standbys look at the lease. */
  readonly renewInterval: number;
  readonly clock: Clock;
  /** Where leadership changes and contender errors are logged. Default: the quiet default logger. */
  readonly logger?: Logger;
}

/**
 * One contender's part in electing the leader of a scope, with fencing. Each check (every `renewInterval` on the
 * injected clock, or {@link checkNow}) either renews this contender's lease or looks at the current one:
 *
 * - A standby takes over when the lease is free, when the holder's process (or database session) is gone, or when
 *   the holder's renew count has not changed for `leaseDuration` by the standby's own clock (Kubernetes style: no
 *   clock comparison between machines). Taking over is a compare-and-swap that bumps the scope's generation.
 * - A leader whose renewal finds another generation is revoked at once (SUPERSEDED); one that cannot renew for
 *   `leaseDuration` revokes itself (RENEWAL_FAILED). Either way it goes on as a standby.
 *
 * Two contenders may briefly both believe they lead (a paused leader that has not checked yet); fencing makes that
 * harmless, because every write carries the session and a stale one is rejected.
 */
export class LeaderElection {
  /** Identifies this contender in the lease; a new election instance is a new contender. */
  readonly contenderId: string = randomUUID();
  private contender: LeaderContender | null = null;
  private session: LeaderSession | null = null;
  private lastRenewedAt = 0;
  private observed: { readonly key: string; readonly since: number } | null = null;
  private timer: Cancellable | null = null;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  /** Use `HighAvailabilityServices.createLeaderElection(scope)`. */
  constructor(
    readonly scope: string,
    private readonly leases: LeaseTable,
    private readonly timing: LeaseTiming,
    private readonly onStopped: (election: LeaderElection) => void = () => undefined,
  ) {}

  /**
   * Starts contending and resolves after the first check, so a contender that found the scope free already leads.
   * @throws Error when the election was started before or stopped.
   */
  start(contender: LeaderContender): Promise<void> {
    if (this.contender !== null || this.stopped) throw new Error(`the leader election of scope '${this.scope}' was already started; create a new one per contender`);
    this.contender = contender;
    return this.checkNow();
  }

  /** The session this contender leads with, or null. */
  currentSession(): LeaderSession | null {
    return this.session;
  }

  /** Runs a check now (after the one in flight): renew when leading, otherwise look at the lease and maybe take over. */
  checkNow(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    const run = this.chain.then(() => this.check()).catch((error: unknown) => this.report(error));
    this.chain = run.then(() => this.scheduleNext());
    return this.chain;
  }

  /** Resolves when the check in flight (if any) is done. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Stops contending; a leader releases its lease (so a standby takes over at once) and is revoked with STOPPED. */
  async stop(): Promise<void> {
    if (this.stopped) return this.chain;
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    this.chain = this.chain.then(async () => {
      const session = this.session;
      if (session !== null) {
        await this.leases.release(session).catch((error: unknown) => this.report(error));
        this.lose(LeadershipLossReason.STOPPED);
      }
      this.onStopped(this);
    });
    return this.chain;
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    this.timer?.cancel();
    this.timer = this.timing.clock.schedule(this.timing.renewInterval, () => {
      this.timer = null;
      void this.checkNow();
    });
  }

  private async check(): Promise<void> {
    if (this.stopped || this.contender === null) return;
    if (this.session !== null) await this.renew(this.session);
    else await this.contend();
  }

  private async renew(session: LeaderSession): Promise<void> {
    const startedAt = this.timing.clock.now();
    // A renewal that hangs (a partitioned database) must not keep a leader that can no longer renew: the lease
    // deadline revokes it on the injected clock even while the call is still pending.
    const deadline = this.timing.clock.schedule(this.lastRenewedAt + this.timing.leaseDuration - startedAt, () => {
      if (this.session === session) this.lose(LeadershipLossReason.RENEWAL_FAILED);
    });
    try {
      const renewal = await this.leases.renew(session);
      if (this.session !== session) return;
      if (renewal.renewed) this.lastRenewedAt = startedAt;
      else this.lose(LeadershipLossReason.SUPERSEDED);
    } catch (error) {
      this.report(error);
      if (this.session === session && this.timing.clock.now() - this.lastRenewedAt >= this.timing.leaseDuration) this.lose(LeadershipLossReason.RENEWAL_FAILED);
    } finally {
      deadline.cancel();
    }
  }

  private async contend(): Promise<void> {
    const now = this.timing.clock.now();
    const record = await this.leases.read(this.scope);
    if (!(await this.mayTakeOver(record, now))) return;
    const session = await this.leases.tryAcquire(this.scope, this.contenderId, record);
    this.observed = null;
    if (session === null) return;
    this.session = session;
    this.lastRenewedAt = now;
    this.log(LogLevel.INFO, { generation: session.generation }, `leadership of scope '${this.scope}' granted to contender ${this.contenderId} (generation ${session.generation})`);
    this.call((contender) => contender.grantLeadership(session));
  }

  /** Free, our own lapsed lease, a dead holder, or a holder whose renewals stopped for a whole lease by our clock. */
  private async mayTakeOver(record: LeaseRecord | null, now: number): Promise<boolean> {
    if (record === null || record.holder === null || record.holder === this.contenderId) return true;
    if (!(await this.leases.isHolderAlive(record))) return true;
    const key = `${record.generation}/${record.renewCount}/${record.holder}`;
    if (this.observed?.key !== key) {
      this.observed = { key, since: now };
      return false;
    }
    return now - this.observed.since >= this.timing.leaseDuration;
  }

  private lose(reason: LeadershipLossReason): void {
    const session = this.session;
    if (session === null) return;
    this.session = null;
    this.observed = null;
    this.log(LogLevel.INFO, { generation: session.generation, reason }, `leadership of scope '${this.scope}' (generation ${session.generation}) revoked from contender ${this.contenderId}: ${reason}`);
    this.call((contender) => contender.revokeLeadership(session, reason));
  }

  private call(callback: (contender: LeaderContender) => void | Promise<void>): void {
    if (this.contender === null) return;
    try {
      const result = callback(this.contender);
      if (result instanceof Promise) result.catch((error: unknown) => this.report(error));
    } catch (error) {
      this.report(error);
    }
  }

  private log(level: LogLevel, fields: LogFields, message: string): void {
    logSafely(this.timing.logger ?? defaultLogger, level, { scope: this.scope, contenderId: this.contenderId, ...fields }, message);
  }

  private report(error: unknown): void {
    this.log(LogLevel.ERROR, {}, `the leader contender of scope '${this.scope}' failed: ${errorMessage(error)}`);
    try {
      this.contender?.handleError?.(error);
    } catch {
      // A failing error handler must not stop the election.
    }
  }
}
