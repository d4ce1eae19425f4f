/** The status a job ends in (or is suspended with); decides what the stores keep on shutdown. */
export const JobStatus = {
  RUNNING: 'RUNNING',
  FINISHED: 'FINISHED',
  CANCELED: 'CANCELED',
  FAILED: 'FAILED',
  SUSPENDED: 'SUSPENDED',
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

/** A globally terminal job will never run again, so its checkpoints may be discarded; a suspended one will be recovered. */
export function isGloballyTerminal(status: JobStatus): boolean {
  return status === JobStatus.FINISHED || status === JobStatus.CANCELED || status === JobStatus.FAILED;
}
