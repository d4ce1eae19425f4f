import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ensureDirectory, syncDirectory, TEMPORARY_FILE_PREFIX } from '../storage/atomic-file-writer.js';

/** How many bytes a blob file is read in at once: big enough for few system calls, small enough to never matter for memory. */
export const BLOB_READ_CHUNK_BYTES = 1024 * 1024;

/** A file written under a temporary name, with the SHA-256 and size of what was written. */
export interface HashedTemporaryFile {
  readonly path: string;
  readonly hash: string;
  readonly size: number;
}

/** How {@link writeHashedTemporaryFile} may treat the chunks of its source. */
export const ChunkOwnership = {
  /** The source may reuse a chunk's buffer once the next chunk is asked for (user content): each chunk is written before the next is taken. */
  BORROWED: 'borrowed',
  /** Every chunk is a buffer of its own (file and database streams): writing one overlaps with hashing the next. */
  OWNED: 'owned',
} as const;
export type ChunkOwnership = (typeof ChunkOwnership)[keyof typeof ChunkOwnership];

/**
 * Streams `source` into a new temporary (`.tmp-`) file in `directory`, hashing it on the way, and fsyncs it. At most
 * two chunks are in memory at a time. On any failure (of the source or of the disk) the temporary file is removed and
 * the error rethrown, so nothing partial is left.
 */
export async function writeHashedTemporaryFile(
  directory: string,
  source: AsyncIterable<Uint8Array | string>,
  chunks: ChunkOwnership = ChunkOwnership.BORROWED,
): Promise<HashedTemporaryFile> {
  await ensureDirectory(directory);
  const path = join(directory, `${TEMPORARY_FILE_PREFIX}${randomBytes(8).toString('hex')}`);
  const hash = createHash('sha256');
  let size = 0;
  const handle = await open(path, 'wx');
  const writeAll = async (bytes: Uint8Array): Promise<void> => {
    let written = 0;
    while (written < bytes.byteLength) written += (await handle.write(bytes, written)).bytesWritten;
  };
  let writing: Promise<void> = Promise.resolve();
  try {
    try {
      for await (const chunk of source) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        hash.update(bytes);
        size += bytes.byteLength;
        await writing;
        writing = writeAll(bytes);
        if (chunks === ChunkOwnership.BORROWED) await writing;
      }
      await writing;
      await handle.sync();
    } finally {
      await writing.catch(() => undefined);
      await handle.close();
    }
  } catch (error) {
    await unlink(path).catch(() => undefined);
    throw error;
  }
  return { path, hash: hash.digest('hex'), size };
}

/** Moves a finished temporary file to its final name (replacing what is there) and fsyncs the directory. */
export async function commitTemporaryFile(temporaryPath: string, targetPath: string): Promise<void> {
  await rename(temporaryPath, targetPath);
  await syncDirectory(dirname(targetPath));
}

/** The SHA-256 and size of a file, read in chunks; null when the file does not exist. */
export async function hashFile(path: string): Promise<{ readonly hash: string; readonly size: number } | null> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: BLOB_READ_CHUNK_BYTES })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).byteLength;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return { hash: hash.digest('hex'), size };
}

/** The file as a stream of chunks, for handing to an HA copy. */
export function readChunks(path: string): AsyncIterable<Uint8Array> {
  return createReadStream(path, { highWaterMark: BLOB_READ_CHUNK_BYTES });
}
