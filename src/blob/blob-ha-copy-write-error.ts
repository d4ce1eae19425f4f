import { errorMessage } from '../core/error-message.js';

/** Thrown by `BlobStore.put` when the HA copy could not be written: the put failed and left no copy anywhere, so it may simply be retried. */
export class BlobHaCopyWriteError extends Error {
  override readonly name = 'BlobHaCopyWriteError';
  constructor(
    readonly jobId: string,
    readonly key: string,
    readonly haCopy: string,
    override readonly cause: unknown,
  ) {
    super(`blob ${key} of job ${jobId} was not stored: its HA copy in ${haCopy} could not be written (${errorMessage(cause)}); no copy was kept locally either, so retry the put`);
  }
}
