/**
 * How tasks with several input channels treat checkpoint barriers, selected per job.
 * EXACTLY_ONCE aligns: after barrier n arrives on a channel, that channel's records are held back until barrier n
 * arrived on every channel, so the snapshot is a consistent cut. AT_LEAST_ONCE never holds records back and
 * snapshots when the last barrier n arrives: lower latency, but after a restore some records are processed twice.
 */
export const CheckpointingMode = {
  EXACTLY_ONCE: 'exactly-once',
  AT_LEAST_ONCE: 'at-least-once',
} as const;
export type CheckpointingMode = (typeof CheckpointingMode)[keyof typeof CheckpointingMode];
