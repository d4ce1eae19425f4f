/** Why a contender lost its leadership. */
export const LeadershipLossReason = {
  /** Another contender took the scope over (the lease's generation moved on): this session's writes are now rejected. */
  SUPERSEDED: 'superseded',
  /** The leader could not renew its lease within the lease duration (e.g. the database was unreachable), so it stepped down. */
  RENEWAL_FAILED: 'renewal-failed',
  /** {@link LeaderElection.stop} gave the leadership up. */
  STOPPED: 'stopped',
} as const;
export type LeadershipLossReason = (typeof LeadershipLossReason)[keyof typeof LeadershipLossReason];
