/** Thrown when a request about a job (savepoint, checkpoint, termination) reaches a job manager that does not run it now. */
export class JobNotLedHereError extends Error {
  override readonly name = 'JobNotLedHereError';
  constructor(readonly jobId: string, readonly instanceId: string) {
    super(`job ${jobId} is not running on job manager ${instanceId} (another job manager leads it, or it is unknown): send the request to its leader`);
  }
}
