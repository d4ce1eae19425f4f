/** Thrown when a blob is neither in the local directory nor in the HA copy: it was never put for this job, or was deleted. */
export class BlobNotFoundError extends Error {
  override readonly name = 'BlobNotFoundError';
  constructor(
    readonly jobId: string,
    readonly key: string,
    /** Where it was looked for. */
    readonly searched: readonly string[],
  ) {
    super(`blob ${key} of job ${jobId} not found (looked in ${searched.join(' and ')}); it was never put for this job, or it was deleted`);
  }
}
