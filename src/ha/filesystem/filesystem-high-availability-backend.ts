import { resolve } from 'node:path';
import type { Clock } from '../../actor/clock.js';
import { ensureDirectory } from '../../storage/atomic-file-writer.js';
import type { HighAvailabilityBackend } from '../high-availability-backend.js';
import type { FileSystemHighAvailabilityOptions } from '../high-availability-options.js';
import { HighAvailabilityStorageError, WriteOutcome } from '../high-availability-storage-error.js';
import { FileSystemCheckpointIds } from './filesystem-checkpoint-ids.js';
import { FileSystemCheckpoints } from './filesystem-checkpoints.js';
import { FileSystemFence } from './filesystem-fence.js';
import { FileSystemHighAvailabilityLayout } from './filesystem-high-availability-layout.js';
import { FileSystemJobGraphs } from './filesystem-job-graphs.js';
import { FileSystemLeases } from './filesystem-leases.js';
import { currentProcessIdentity, markInstanceOpen } from './process-identity.js';

/**
 * The `filesystem` mode: one machine, one directory. Leases carry the holder's process identity (pid, start time,
 * boot id), so a standby takes over at once from a dead process; every write is atomic (temporary file, fsync,
 * rename, fsync of the directory), every read verified; fenced writes and takeovers exclude each other through
 * lock files (see withFileLock).
 */
export class FileSystemHighAvailabilityBackend implements HighAvailabilityBackend {
  readonly description: string;
  readonly leases: FileSystemLeases;
  readonly checkpointIds: FileSystemCheckpointIds;
  readonly checkpoints: FileSystemCheckpoints;
  readonly jobGraphs: FileSystemJobGraphs;

  private constructor(private readonly instanceId: string, fence: FileSystemFence, checkpointDirectory: string | null, clock: Clock, pollInterval: number) {
    this.description = fence.description;
    this.leases = new FileSystemLeases(fence);
    this.checkpointIds = new FileSystemCheckpointIds(fence, checkpointDirectory);
    this.checkpoints = new FileSystemCheckpoints(fence);
    this.jobGraphs = new FileSystemJobGraphs(fence, clock, pollInterval);
  }

  /** Creates the directory layout (durably) and marks this instance alive. @throws HighAvailabilityStorageError. */
  static async open(options: FileSystemHighAvailabilityOptions, instanceId: string, clock: Clock): Promise<FileSystemHighAvailabilityBackend> {
    const layout = new FileSystemHighAvailabilityLayout(resolve(options.directory));
    const description = `filesystem:${layout.directory}`;
    try {
      for (const directory of [layout.leases, layout.counterBase, layout.jobGraphs]) await ensureDirectory(directory);
    } catch (error) {
      throw new HighAvailabilityStorageError(description, 'creating the high-availability directory', WriteOutcome.NOT_APPLIED, error);
    }
    markInstanceOpen(instanceId, true);
    const fence = new FileSystemFence(layout, currentProcessIdentity(instanceId), options.lockTimeout ?? 10_000, description);
    const checkpointDirectory = options.checkpointDirectory === undefined ? null : resolve(options.checkpointDirectory);
    return new FileSystemHighAvailabilityBackend(instanceId, fence, checkpointDirectory, clock, options.pollInterval ?? 1_000);
  }

  async close(): Promise<void> {
    markInstanceOpen(this.instanceId, false);
  }
}
