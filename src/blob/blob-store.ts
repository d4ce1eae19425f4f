import { readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { asJobId, type JobId } from '../core/ids.js';
import { InvalidOptionError } from '../core/invalid-option-error.js';
import { isPathSafeId } from '../core/path-safe-id.js';
import { isTemporaryFileName } from '../storage/atomic-file-writer.js';
import { checksumOf } from '../storage/checksum.js';
import { BlobCopy, BlobCorruptedError } from './blob-corrupted-error.js';
import { jobDirectoryOf, openBlobDirectory } from './blob-directory-format.js';
import { BlobFetchFailedError } from './blob-fetch-failed-error.js';
import type { BlobHaCopy } from './blob-ha-copy.js';
import { BlobHaCopyWriteError } from './blob-ha-copy-write-error.js';
import { BlobJobRunningError } from './blob-job-running-error.js';
import { asBlobKey, type BlobKey } from './blob-key.js';
import { BlobNotFoundError } from './blob-not-found-error.js';
import { validateBlobStoreOptions, type BlobStoreOptions, type BlobStoreSettings } from './blob-store-options.js';
import { ChunkOwnership, commitTemporaryFile, hashFile, readChunks, writeHashedTemporaryFile } from './hashed-file.js';
import { KeyLock } from './key-lock.js';

/** What a {@link BlobStore} has done since it was opened. */
export interface BlobStoreStats {
  readonly puts: number;
  /** Blobs fetched from the HA copy because the local copy was missing or corrupted. */
  readonly fetches: number;
  /** Fetch attempts that failed (each one retried or reported in a BlobFetchFailedError). */
  readonly failedFetchAttempts: number;
  /** Corrupted local copies that were deleted and fetched again. */
  readonly localCopiesRepaired: number;
}

/** A blob small enough for {@link BlobStore.getBytes}; larger ones are read from the file {@link BlobStore.get} returns. */
export const MAX_BLOB_BYTES_IN_MEMORY = 64 * 1024 * 1024;

/**
 * Content-addressed storage for what a job needs again after recovery (Flink's BlobServer with its BlobStore): operator
 * bundles, configuration, reference data. `put` returns the SHA-256 of the content as its key, scoped by job; `get`
 * verifies the content against the key every time. With an HA copy (filesystem or PostgreSQL), a put succeeds only once
 * the HA copy is written, a missing or corrupted local copy is fetched (again) from it with retries and backoff, and
 * every job manager sharing the HA copy serves the others' blobs. Content streams through a hash into temporary files,
 * so blobs of hundreds of MiB never need to fit in memory; a failed put leaves no file anywhere. The blobs of a job
 * marked running are never removed.
 */
export class BlobStore {
  /** The absolute local directory: `<localDirectory>/jobs/<jobId>/<key>`. */
  readonly localDirectory: string;
  readonly haCopy: BlobHaCopy | null;

  private readonly locks = new KeyLock();
  private readonly runningJobs = new Set<string>();
  private counters = { puts: 0, fetches: 0, failedFetchAttempts: 0, localCopiesRepaired: 0 };

  private constructor(private readonly settings: BlobStoreSettings) {
    this.localDirectory = resolve(settings.localDirectory);
    this.haCopy = settings.haCopy;
  }

  /**
   * Opens the store over its local directory (creating it when missing) and removes writes a crash interrupted.
   * Throws InvalidOptionError naming the first invalid option, and CorruptStateError when the directory holds another format version.
   */
  static async open(options: BlobStoreOptions): Promise<BlobStore> {
    const store = new BlobStore(validateBlobStoreOptions(options));
    await openBlobDirectory(store.localDirectory);
    await store.removeInterruptedWrites();
    return store;
  }

  get stats(): BlobStoreStats {
    return { ...this.counters };
  }

  /**
   * Stores content for a job and returns its key (the content's SHA-256). The content streams to a temporary file
   * while it is hashed, then to the HA copy, and only then is the local file moved into place: the put succeeds only
   * once the HA copy is written, and a failure at any point leaves no file anywhere. Putting the same content again
   * returns the same key. Rejects with {@link BlobHaCopyWriteError} when the HA copy cannot be written, or with the
   * content stream's own error.
   */
  async put(jobId: string, content: Uint8Array | AsyncIterable<Uint8Array | string>): Promise<BlobKey> {
    return this.store(jobId, content instanceof Uint8Array ? oneChunk(content) : content, ChunkOwnership.BORROWED);
  }

  /** Stores the file at `path` (streamed, never read whole) and returns its key; see {@link put}. */
  async putFile(jobId: string, path: string): Promise<BlobKey> {
    return this.store(jobId, readChunks(path), ChunkOwnership.OWNED);
  }

  private async store(jobId: string, content: AsyncIterable<Uint8Array | string>, chunks: ChunkOwnership): Promise<BlobKey> {
    const job = checkJobId(jobId, 'put');
    const directory = jobDirectoryOf(this.localDirectory, job);
    const written = await writeHashedTemporaryFile(directory, content, chunks);
    const key = asBlobKey(written.hash);
    try {
      await this.locks.run(lockKeyOf(job, key), async () => {
        if (this.haCopy !== null) {
          const haCopy = this.haCopy;
          try {
            await haCopy.put(job, key, written.size, () => readChunks(written.path));
          } catch (error) {
            throw new BlobHaCopyWriteError(job, key, haCopy.description, error);
          }
        }
        await commitTemporaryFile(written.path, join(directory, key));
      });
    } catch (error) {
      await rm(written.path, { force: true });
      throw error;
    }
    this.counters.puts += 1;
    return key;
  }

  /**
   * The path of a verified local file holding the blob: the local copy when it hashes to its key; otherwise (missing,
   * or corrupted: then deleted and reported) the blob fetched from the HA copy, retried with backoff. Rejects with
   * {@link BlobNotFoundError} when no copy exists, {@link BlobCorruptedError} when the HA copy (or, without an HA copy,
   * the local one) is corrupted, and {@link BlobFetchFailedError} (attempts, last cause) when fetching kept failing.
   * The file stays until the blob is deleted or its job cleaned up; read it, never write it.
   */
  async get(jobId: string, key: string): Promise<string> {
    const job = checkJobId(jobId, 'get');
    const blobKey = asBlobKey(key);
    const path = join(jobDirectoryOf(this.localDirectory, job), blobKey);
    return this.locks.run(lockKeyOf(job, blobKey), async () => {
      const local = await hashFile(path);
      if (local !== null && local.hash === blobKey) return path;
      const problem = local === null ? null : `its ${local.size} bytes hash to ${local.hash}`;
      if (local !== null) await rm(path, { force: true });
      if (this.haCopy === null) {
        if (problem !== null) throw new BlobCorruptedError(job, blobKey, BlobCopy.LOCAL, path, problem);
        throw new BlobNotFoundError(job, blobKey, [this.localDirectory]);
      }
      await this.fetch(this.haCopy, job, blobKey, path);
      if (problem !== null) {
        this.counters.localCopiesRepaired += 1;
        this.settings.onEvent({ type: 'local-copy-repaired', jobId: job, key: blobKey, path, problem });
      }
      return path;
    });
  }

  /**
   * The blob's bytes, verified against its key: for small content (at most {@link MAX_BLOB_BYTES_IN_MEMORY}; read
   * larger blobs from the file {@link get} returns). Rejects like {@link get}, and with a RangeError for a larger blob.
   */
  async getBytes(jobId: string, key: string): Promise<Uint8Array> {
    for (let attempt = 1; ; attempt += 1) {
      const path = await this.get(jobId, key);
      const bytes = await readFile(path).catch(() => null);
      if (bytes !== null && bytes.byteLength > MAX_BLOB_BYTES_IN_MEMORY) {
        throw new RangeError(`blob ${key} of job ${jobId} holds ${bytes.byteLength} bytes, more than getBytes returns (${MAX_BLOB_BYTES_IN_MEMORY}); stream it from the file get() returns`);
      }
      if (bytes !== null && checksumOf(bytes) === key) return new Uint8Array(bytes);
      // Changed or removed between verification and reading: verify (and repair) once more.
      if (attempt === 2) throw new BlobCorruptedError(jobId, key, BlobCopy.LOCAL, path, 'it changed on disk right after it was verified, twice');
    }
  }

  /**
   * Removes one blob of a job from the local directory and the HA copy; removing a blob that is not there succeeds.
   * Rejects with {@link BlobJobRunningError} when the job is running.
   */
  async delete(jobId: string, key: string): Promise<void> {
    const job = checkJobId(jobId, 'delete');
    const blobKey = asBlobKey(key);
    await this.refuseWhileRunning(job, 'delete');
    await this.locks.run(lockKeyOf(job, blobKey), async () => {
      await rm(join(jobDirectoryOf(this.localDirectory, job), blobKey), { force: true });
      await this.haCopy?.delete(job, blobKey);
    });
  }

  /**
   * Removes every blob of a job, and nothing of any other job: locally, and from the HA copy unless `keepHaCopy`
   * (a job manager giving the job up to another keeps the HA copy). Rejects with {@link BlobJobRunningError} when the job is running.
   */
  async cleanupJob(jobId: string, options: { readonly keepHaCopy?: boolean } = {}): Promise<void> {
    const job = checkJobId(jobId, 'cleanupJob');
    await this.refuseWhileRunning(job, 'cleanupJob');
    await rm(jobDirectoryOf(this.localDirectory, job), { recursive: true, force: true });
    if (options.keepHaCopy !== true) await this.haCopy?.deleteJob(job);
  }

  /** From now on the job's blobs are never removed by this store (until {@link markJobStopped}). */
  markJobRunning(jobId: string): void {
    this.runningJobs.add(checkJobId(jobId, 'markJobRunning'));
  }

  /** The job has ended: its blobs may be deleted and cleaned up again. */
  markJobStopped(jobId: string): void {
    this.runningJobs.delete(checkJobId(jobId, 'markJobStopped'));
  }

  /** Whether the job is marked running on this store or, through `isJobRunning`, anywhere. */
  async isJobRunning(jobId: string): Promise<boolean> {
    const job = checkJobId(jobId, 'isJobRunning');
    return this.runningJobs.has(job) || (await this.settings.isJobRunning?.(job)) === true;
  }

  private async refuseWhileRunning(jobId: JobId, operation: 'delete' | 'cleanupJob'): Promise<void> {
    if (await this.isJobRunning(jobId)) throw new BlobJobRunningError(jobId, operation);
  }

  /** Fetches the blob from the HA copy into `path`, verified, retrying failures with exponential backoff. */
  private async fetch(haCopy: BlobHaCopy, jobId: JobId, key: BlobKey, path: string): Promise<void> {
    const attempts = this.settings.fetchRetries + 1;
    let lastError: unknown = null;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      try {
        const content = await haCopy.read(jobId, key);
        if (content === null) throw new BlobNotFoundError(jobId, key, [this.localDirectory, haCopy.description]);
        const written = await writeHashedTemporaryFile(jobDirectoryOf(this.localDirectory, jobId), content, ChunkOwnership.OWNED);
        if (written.hash !== key) {
          await rm(written.path, { force: true });
          throw new BlobCorruptedError(jobId, key, BlobCopy.HA, haCopy.description, `its ${written.size} bytes hash to ${written.hash}`);
        }
        await commitTemporaryFile(written.path, path);
        this.counters.fetches += 1;
        return;
      } catch (error) {
        // Absent or corrupted stays so on a retry: only transient failures are retried.
        if (error instanceof BlobNotFoundError || error instanceof BlobCorruptedError) throw error;
        this.counters.failedFetchAttempts += 1;
        lastError = error;
        if (attempt === attempts) break;
        const backoffMs = Math.min(this.settings.maxRetryBackoff, this.settings.initialRetryBackoff * 2 ** (attempt - 1));
        this.settings.onEvent({ type: 'fetch-retry', jobId, key, attempt, backoffMs, error });
        await new Promise<void>((wake) => this.settings.clock.schedule(backoffMs, wake));
      }
    }
    throw new BlobFetchFailedError(jobId, key, haCopy.description, attempts, lastError);
  }

  private async removeInterruptedWrites(): Promise<void> {
    const jobs = join(this.localDirectory, 'jobs');
    for (const job of await readdir(jobs)) {
      const entries = await readdir(join(jobs, job)).catch(() => []);
      for (const name of entries) if (isTemporaryFileName(name)) await rm(join(jobs, job, name), { force: true });
    }
  }
}

function checkJobId(jobId: string, operation: string): JobId {
  if (!isPathSafeId(jobId)) {
    throw new InvalidOptionError(`BlobStore.${operation}: jobId`, `must be letters, digits, '.', '_' or '-', starting with a letter or digit (it names a directory), got ${JSON.stringify(jobId)}`);
  }
  return asJobId(jobId);
}

function lockKeyOf(jobId: JobId, key: BlobKey): string {
  return `${jobId}/${key}`;
}

async function* oneChunk(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}
