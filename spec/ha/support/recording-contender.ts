import type { LeaderContender } from '../../../src/ha/leader-contender.js';
import type { LeaderSession } from '../../../src/ha/leader-session.js';
import type { LeadershipLossReason } from '../../../src/ha/leadership-loss-reason.js';

/** A contender that records `grant(<generation>)` and `revoke(<generation>, <reason>)`, and every error it is told of. */
export class RecordingContender implements LeaderContender {
  readonly calls: string[] = [];
  readonly errors: unknown[] = [];
  session: LeaderSession | null = null;

  grantLeadership(session: LeaderSession): void {
    this.session = session;
    this.calls.push(`grant(${session.generation})`);
  }

  revokeLeadership(session: LeaderSession, reason: LeadershipLossReason): void {
    if (this.session === session) this.session = null;
    this.calls.push(`revoke(${session.generation}, ${reason})`);
  }

  handleError(error: unknown): void {
    this.errors.push(error);
  }
}
