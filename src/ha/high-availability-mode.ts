/** Where the state that must outlive a job manager process lives. */
export const HighAvailabilityMode = {
  /** In memory, for specs: contenders and stores share one process (and one {@link InMemoryHighAvailabilityData}). */
  NONE: 'none',
  /** The embedded default: one machine, one directory; leases and fenced writes guarded by lock files. */
  FILESYSTEM: 'filesystem',
  /** Several processes or machines sharing one PostgreSQL database, through the `pg` package. */
  POSTGRES: 'postgres',
} as const;
export type HighAvailabilityMode = (typeof HighAvailabilityMode)[keyof typeof HighAvailabilityMode];
