import type { JobId } from '../core/ids.js';
import type { BlobKey } from './blob-key.js';

/**
 * The high-availability copy of a blob store: storage that outlives this machine (a shared directory, PostgreSQL),
 * from which any job manager fetches the blobs another one put. Implementations store each blob all or nothing and
 * scope blobs by job; they do not verify content: the blob store hashes whatever they return against the key.
 */
export interface BlobHaCopy {
  /** Where the copy lives, for messages, e.g. `filesystem:/mnt/ha/blobs` or `postgres:schema "ha"`. */
  readonly description: string;
  /**
   * Stores `size` bytes that `content()` streams under (jobId, key), atomically: afterwards the blob is there whole,
   * or (on rejection) not at all. Storing a key that is already there replaces it. `content` may be called again to retry.
   */
  put(jobId: JobId, key: BlobKey, size: number, content: () => AsyncIterable<Uint8Array>): Promise<void>;
  /** The stored bytes as a stream, or null when (jobId, key) is not stored. The stream may fail midway; the caller retries. */
  read(jobId: JobId, key: BlobKey): Promise<AsyncIterable<Uint8Array> | null>;
  /** Removes one blob; removing a blob that is not there succeeds. */
  delete(jobId: JobId, key: BlobKey): Promise<void>;
  /** Removes every blob of the job and nothing of any other job; succeeds when there is none. */
  deleteJob(jobId: JobId): Promise<void>;
}
