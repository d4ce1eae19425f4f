import type { LeaderSession } from './leader-session.js';
import type { LeadershipLossReason } from './leadership-loss-reason.js';

/**
 * What takes part in a leader election (a job manager, a job's coordinator). Every grant is followed by exactly one
 * revocation of the same session before the next grant. The election does not wait for the callbacks: a callback may
 * start asynchronous work and return its promise; exceptions and rejections go to `handleError`.
 */
export interface LeaderContender {
  /** This contender leads the scope now; every high-availability write it makes must carry `session`. */
  grantLeadership(session: LeaderSession): void | Promise<void>;
  /** This contender no longer leads: stop writing; writes with `session` are (or will be) rejected. */
  revokeLeadership(session: LeaderSession, reason: LeadershipLossReason): void | Promise<void>;
  /** A check or renewal failed (the election keeps trying), or a callback threw. */
  handleError?(error: unknown): void;
}
