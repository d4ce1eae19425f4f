/** Thrown when a blob of a running job would be removed (a delete or a job clean-up): the blobs of a running job are never removed. */
export class BlobJobRunningError extends Error {
  override readonly name = 'BlobJobRunningError';
  constructor(
    readonly jobId: string,
    readonly operation: 'delete' | 'cleanupJob',
  ) {
    super(`BlobStore.${operation}: job ${jobId} is running, and the blobs of a running job are never removed; mark it stopped (markJobStopped) once it has ended`);
  }
}
