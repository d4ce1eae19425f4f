import type { BlobHaCopy } from '../../../src/blob/blob-ha-copy.js';
import type { BlobKey } from '../../../src/blob/blob-key.js';
import type { JobId } from '../../../src/core/ids.js';

/**
 * The spread of `process.memoryUsage().arrayBuffers` (Buffer memory) between the lowest and the highest sample, taken by
 * whoever holds it at every chunk. The lowest sample, not the first, is the baseline: garbage left by an earlier spec may
 * be collected meanwhile.
 */
export class MemoryPeak {
  private lowest = process.memoryUsage().arrayBuffers;
  private highest = this.lowest;

  /** Highest minus lowest sample, in bytes. */
  get peak(): number {
    return this.highest - this.lowest;
  }

  sample(): void {
    const now = process.memoryUsage().arrayBuffers;
    this.lowest = Math.min(this.lowest, now);
    this.highest = Math.max(this.highest, now);
  }
}

/** An HA copy that samples memory at every chunk it writes or serves, so a spec sees the peak while blobs stream through it. */
export class MemorySamplingBlobHaCopy implements BlobHaCopy {
  readonly description: string;

  constructor(readonly inner: BlobHaCopy, readonly memory: MemoryPeak) {
    this.description = inner.description;
  }

  put(jobId: JobId, key: BlobKey, size: number, content: () => AsyncIterable<Uint8Array>): Promise<void> {
    return this.inner.put(jobId, key, size, () => this.sampled(content()));
  }

  async read(jobId: JobId, key: BlobKey): Promise<AsyncIterable<Uint8Array> | null> {
    const content = await this.inner.read(jobId, key);
    return content === null ? null : this.sampled(content);
  }

  delete(jobId: JobId, key: BlobKey): Promise<void> {
    return this.inner.delete(jobId, key);
  }

  deleteJob(jobId: JobId): Promise<void> {
    return this.inner.deleteJob(jobId);
  }

  private async *sampled(content: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of content) {
      this.memory.sample();
      yield chunk;
    }
  }
}
