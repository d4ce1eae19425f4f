import type { LeaderSession } from './leader-session.js';

/**
 * Thrown by a high-availability write (id counter, completed checkpoint store, job graph store) whose leader session
 * is no longer the current leadership of its scope: another contender took over, so this process must stop writing.
 * Nothing was changed. (FLINK-25486: a paused old leader must not overwrite what the new leader wrote.)
 */
export class StaleLeaderError extends Error {
  override readonly name = 'StaleLeaderError';
  readonly scope: string;
  /** The generation the rejected write carried. */
  readonly generation: number;
  /** The scope's current generation, or null when the scope has no leader at all. */
  readonly currentGeneration: number | null;

  constructor(session: LeaderSession, currentGeneration: number | null, readonly operation: string) {
    const current = currentGeneration === null ? 'the scope has no leader now' : `the current generation is ${currentGeneration}`;
    super(
      `${operation} was rejected: leader session generation ${session.generation} of scope '${session.scope}' is no longer current (${current}); ` +
        'this contender lost its leadership and must stop writing',
    );
    this.scope = session.scope;
    this.generation = session.generation;
    this.currentGeneration = currentGeneration;
  }
}
