import type { BlobHaCopy } from '../../../src/blob/blob-ha-copy.js';
import type { BlobKey } from '../../../src/blob/blob-key.js';
import type { JobId } from '../../../src/core/ids.js';

/**
 * An HA copy whose writes fail halfway while `failing` is true: it streams half of the content into the real copy's
 * put and then breaks the stream, like a connection lost mid-upload. Reads and deletes pass through.
 */
export class FailingWriteBlobHaCopy implements BlobHaCopy {
  readonly description: string;
  failing = true;

  constructor(readonly inner: BlobHaCopy) {
    this.description = inner.description;
  }

  async put(jobId: JobId, key: BlobKey, size: number, content: () => AsyncIterable<Uint8Array>): Promise<void> {
    if (!this.failing) return this.inner.put(jobId, key, size, content);
    return this.inner.put(jobId, key, size, () => halfThenFail(content(), size));
  }

  read(jobId: JobId, key: BlobKey): Promise<AsyncIterable<Uint8Array> | null> {
    return this.inner.read(jobId, key);
  }

  delete(jobId: JobId, key: BlobKey): Promise<void> {
    return this.inner.delete(jobId, key);
  }

  deleteJob(jobId: JobId): Promise<void> {
    return this.inner.deleteJob(jobId);
  }
}

async function* halfThenFail(content: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let sent = 0;
  for await (const chunk of content) {
    const room = Math.max(1, Math.floor(size / 2)) - sent;
    if (room <= 0) break;
    const part = chunk.subarray(0, room);
    sent += part.byteLength;
    yield part;
  }
  throw new Error('ECONNRESET: the connection to the HA copy was lost mid-upload');
}
