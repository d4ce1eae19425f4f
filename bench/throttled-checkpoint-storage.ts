import { setTimeout as delay } from 'node:timers/promises';
import type { PersistedCheckpointHistory } from '../src/checkpoint/checkpoint-history.js';
import type { CheckpointIDCounter } from '../src/checkpoint/checkpoint-id-counter.js';
import type { CompletedCheckpoint } from '../src/checkpoint/completed-checkpoint.js';
import type { CheckpointId, JobId } from '../src/core/ids.js';
import type { FileStateHandle } from '../src/state/state-handles.js';
import type { CheckpointStorage, StoredFile } from '../src/storage/checkpoint-storage.js';

/** What remote storage costs: a fixed latency per request plus a transfer time at a bandwidth limit. */
export interface RemoteStorageCost {
  readonly latencyMs: number;
  readonly bytesPerSecond: number;
}

/**
 * Checkpoint storage standing in for remote storage (a distributed file system, an object store): every request
 * waits the latency plus the time its bytes take at the bandwidth limit, then goes to the wrapped storage.
 */
export class ThrottledCheckpointStorage implements CheckpointStorage {
  readonly description: string;

  constructor(private readonly inner: CheckpointStorage, private readonly cost: RemoteStorageCost) {
    this.description = `throttled(${cost.latencyMs} ms, ${cost.bytesPerSecond / 1e6} MB/s) ${inner.description}`;
  }

  private async wait(bytes: number): Promise<void> {
    await delay(this.cost.latencyMs + (bytes / this.cost.bytesPerSecond) * 1000);
  }

  async writeSharedFile(jobId: JobId, name: string, bytes: Uint8Array): Promise<FileStateHandle> {
    await this.wait(bytes.byteLength);
    return this.inner.writeSharedFile(jobId, name, bytes);
  }

  async writeExclusiveFile(jobId: JobId, checkpointId: CheckpointId, name: string, bytes: Uint8Array): Promise<FileStateHandle> {
    await this.wait(bytes.byteLength);
    return this.inner.writeExclusiveFile(jobId, checkpointId, name, bytes);
  }

  async writeTaskOwnedFile(jobId: JobId, name: string, bytes: Uint8Array): Promise<FileStateHandle> {
    await this.wait(bytes.byteLength);
    return this.inner.writeTaskOwnedFile(jobId, name, bytes);
  }

  async readFile(handle: FileStateHandle): Promise<Uint8Array> {
    await this.wait(handle.size);
    return this.inner.readFile(handle);
  }

  async deleteFile(path: string): Promise<void> {
    await this.wait(0);
    return this.inner.deleteFile(path);
  }

  async writeMetadata(checkpoint: CompletedCheckpoint): Promise<string> {
    await this.wait(0);
    return this.inner.writeMetadata(checkpoint);
  }

  async readMetadata(pointer: string): Promise<CompletedCheckpoint> {
    await this.wait(0);
    return this.inner.readMetadata(pointer);
  }

  async listMetadata(jobId: JobId): Promise<string[]> {
    await this.wait(0);
    return this.inner.listMetadata(jobId);
  }

  async discardCheckpointDirectory(jobId: JobId, checkpointId: CheckpointId): Promise<void> {
    await this.wait(0);
    return this.inner.discardCheckpointDirectory(jobId, checkpointId);
  }

  async listFiles(jobId: JobId): Promise<StoredFile[]> {
    await this.wait(0);
    return this.inner.listFiles(jobId);
  }

  openIdCounter(jobId: JobId): Promise<CheckpointIDCounter> {
    return this.inner.openIdCounter(jobId);
  }

  writeHistory(history: PersistedCheckpointHistory): Promise<string> {
    return this.inner.writeHistory(history);
  }

  readHistory(jobId: JobId): Promise<PersistedCheckpointHistory | null> {
    return this.inner.readHistory(jobId);
  }
}
