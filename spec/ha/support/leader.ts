import type { LeaderElection } from '../../../src/ha/leader-election.js';
import type { LeaderSession } from '../../../src/ha/leader-session.js';
import { LEASE, advance, type SpecInstance } from './ha-modes.js';
import { RecordingContender } from './recording-contender.js';

/** A contender of `scope` on an instance, started. */
export interface SpecContender {
  readonly instance: SpecInstance;
  readonly election: LeaderElection;
  readonly contender: RecordingContender;
}

export async function startContender(instance: SpecInstance, scope = 'cluster'): Promise<SpecContender> {
  const election = instance.services.createLeaderElection(scope);
  const contender = new RecordingContender();
  await election.start(contender);
  return { instance, election, contender };
}

/** The session of a contender that must be leading. */
export function sessionOf(contender: SpecContender): LeaderSession {
  const session = contender.election.currentSession();
  if (session === null) throw new Error('expected the contender to lead');
  return session;
}

/**
 * Lets `standby` take the scope over from a leader whose clock stands still (a paused leader): the standby's clock
 * moves one lease and one check on. Returns the standby's new session.
 */
export async function takeOverFromPausedLeader(standby: SpecContender): Promise<LeaderSession> {
  await advance(standby.instance, LEASE.leaseDuration, standby.election);
  await advance(standby.instance, LEASE.renewInterval, standby.election);
  return sessionOf(standby);
}
