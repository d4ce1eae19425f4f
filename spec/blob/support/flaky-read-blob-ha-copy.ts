import type { BlobHaCopy } from '../../../src/blob/blob-ha-copy.js';
import type { BlobKey } from '../../../src/blob/blob-key.js';
import type { JobId } from '../../../src/core/ids.js';

/**
 * An HA copy whose next `failures` reads fail: odd ones before answering (the server is unreachable), even ones
 * midway through the stream (the connection drops after the first chunk). Writes and deletes pass through.
 */
export class FlakyReadBlobHaCopy implements BlobHaCopy {
  readonly description: string;
  reads = 0;

  constructor(readonly inner: BlobHaCopy, public failures: number) {
    this.description = inner.description;
  }

  put(jobId: JobId, key: BlobKey, size: number, content: () => AsyncIterable<Uint8Array>): Promise<void> {
    return this.inner.put(jobId, key, size, content);
  }

  async read(jobId: JobId, key: BlobKey): Promise<AsyncIterable<Uint8Array> | null> {
    this.reads += 1;
    if (this.failures <= 0) return this.inner.read(jobId, key);
    this.failures -= 1;
    if (this.reads % 2 === 1) throw new Error(`ECONNREFUSED: read ${this.reads} of blob ${key} could not reach the HA copy`);
    const content = await this.inner.read(jobId, key);
    if (content === null) return null;
    const read = this.reads;
    return (async function* dropsAfterFirstChunk() {
      for await (const chunk of content) {
        yield chunk;
        break;
      }
      throw new Error(`ECONNRESET: read ${read} of blob ${key} was cut off after the first chunk`);
    })();
  }

  delete(jobId: JobId, key: BlobKey): Promise<void> {
    return this.inner.delete(jobId, key);
  }

  deleteJob(jobId: JobId): Promise<void> {
    return this.inner.deleteJob(jobId);
  }
}
