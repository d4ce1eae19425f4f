import { errorMessage } from '../core/error-message.js';

/** Thrown when fetching a blob from the HA copy kept failing: it says how many attempts were made and why the last one failed. */
export class BlobFetchFailedError extends Error {
  override readonly name = 'BlobFetchFailedError';
  constructor(
    readonly jobId: string,
    readonly key: string,
    readonly source: string,
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(`fetching blob ${key} of job ${jobId} from ${source} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}; last cause: ${errorMessage(cause)}`);
  }
}
