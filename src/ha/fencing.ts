import type { LeaseRecord } from './high-availability-backend.js';
import type { LeaderSession } from './leader-session.js';
import { StaleLeaderError } from './stale-leader-error.js';

/** Whether `session` is the scope's current leadership according to `lease`: same generation, same holder. */
export function isCurrent(session: LeaderSession, lease: Pick<LeaseRecord, 'generation' | 'holder'> | null): boolean {
  return lease !== null && lease.generation === session.generation && lease.holder === session.contenderId;
}

/** @throws StaleLeaderError for `operation` unless `session` is current according to `lease`. */
export function assertCurrent(session: LeaderSession, lease: Pick<LeaseRecord, 'generation' | 'holder'> | null, operation: string): void {
  if (!isCurrent(session, lease)) throw new StaleLeaderError(session, lease?.holder === null ? null : (lease?.generation ?? null), operation);
}
