import { createReadStream } from 'node:fs';
import { access, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { JobId } from '../core/ids.js';
import type { BlobHaCopy } from './blob-ha-copy.js';
import type { BlobKey } from './blob-key.js';
import { jobDirectoryOf, openBlobDirectory } from './blob-directory-format.js';
import { BLOB_READ_CHUNK_BYTES, ChunkOwnership, commitTemporaryFile, writeHashedTemporaryFile } from './hashed-file.js';

/**
 * The HA copy of the filesystem mode: a directory every job manager can reach (a shared mount, or one machine's disk
 * for the embedded default), laid out like the local blob directory. Each blob is written to a temporary name, fsynced
 * and renamed into place, so it is there whole or not at all.
 */
export class FileSystemBlobHaCopy implements BlobHaCopy {
  readonly description: string;

  private constructor(readonly directory: string) {
    this.description = `filesystem:${directory}`;
  }

  /**
   * Opens (creating when missing) the HA directory.
   * @throws CorruptStateError naming its format marker when the directory holds another format version.
   */
  static async open(directory: string): Promise<FileSystemBlobHaCopy> {
    const absolute = resolve(directory);
    await openBlobDirectory(absolute);
    return new FileSystemBlobHaCopy(absolute);
  }

  /** Rejects (leaving nothing behind) when the stream fails or does not hold exactly `size` bytes. */
  async put(jobId: JobId, key: BlobKey, size: number, content: () => AsyncIterable<Uint8Array>): Promise<void> {
    const directory = jobDirectoryOf(this.directory, jobId);
    const written = await writeHashedTemporaryFile(directory, content(), ChunkOwnership.OWNED);
    if (written.size !== size || written.hash !== key) {
      await rm(written.path, { force: true });
      throw new Error(`the content streamed for blob ${key} was ${written.size} bytes hashing to ${written.hash}, expected ${size} bytes hashing to the key`);
    }
    await commitTemporaryFile(written.path, join(directory, key));
  }

  /** Opens the file only when the stream is read, so a stream that is never read holds nothing open. */
  async read(jobId: JobId, key: BlobKey): Promise<AsyncIterable<Uint8Array> | null> {
    const path = join(jobDirectoryOf(this.directory, jobId), key);
    try {
      await access(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return streamFile(path);
  }

  async delete(jobId: JobId, key: BlobKey): Promise<void> {
    await rm(join(jobDirectoryOf(this.directory, jobId), key), { force: true });
  }

  async deleteJob(jobId: JobId): Promise<void> {
    await rm(jobDirectoryOf(this.directory, jobId), { recursive: true, force: true });
  }
}

/** The file's chunks; the file is opened on the first read, and closed when the stream ends or its reader stops. */
async function* streamFile(path: string): AsyncGenerator<Uint8Array> {
  yield* createReadStream(path, { highWaterMark: BLOB_READ_CHUNK_BYTES }) as AsyncIterable<Buffer>;
}
