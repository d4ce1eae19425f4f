/** Thrown by `submitJob` when a job with the same id is already stored or led by a job manager: cancel it first. */
export class JobAlreadySubmittedError extends Error {
  override readonly name = 'JobAlreadySubmittedError';
  constructor(readonly jobId: string, readonly detail: string) {
    super(`job ${jobId} is already submitted (${detail}); end it (terminateJob) before submitting it again, or use another job id`);
  }
}
