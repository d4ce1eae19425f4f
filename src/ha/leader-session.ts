/**
 * One leadership of a scope: what a leader election grants and what every high-availability write carries.
 * `generation` is the fencing token: it grows with each new leadership of the scope, and a write whose session is
 * no longer the scope's current one is rejected with a StaleLeaderError.
 */
export interface LeaderSession {
  /** What is being led, e.g. `cluster` or `job-orders`. */
  readonly scope: string;
  readonly generation: number;
  /** The contender (one leader election instance) that holds this leadership. */
  readonly contenderId: string;
}

/** `scope 'cluster' generation 4`, for messages. */
export function describeSession(session: LeaderSession): string {
  return `scope '${session.scope}' generation ${session.generation}`;
}
