import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpointStorage } from '../../src/storage/checkpoint-storage.js';
import { FileSystemCheckpointStorage } from '../../src/storage/filesystem-checkpoint-storage.js';
import { InMemoryCheckpointStorage } from '../../src/storage/in-memory-checkpoint-storage.js';

/** A storage implementation, plus a way to change a stored file behind its back (how specs corrupt state). */
export interface StorageUnderTest {
  readonly storage: CheckpointStorage;
  /** Replaces a stored file's bytes behind the storage's back. */
  overwrite(path: string, bytes: Uint8Array): Promise<void>;
}

/** Every CheckpointStorage implementation, for specs that hold for all of them. */
export const storagesUnderTest: readonly { name: string; create(directory: string): StorageUnderTest }[] = [
  {
    name: 'InMemoryCheckpointStorage',
    create: () => {
      const storage = new InMemoryCheckpointStorage();
      return { storage, overwrite: async (path, bytes) => storage.corrupt(path, bytes) };
    },
  },
  {
    name: 'FileSystemCheckpointStorage',
    create: (directory) => ({
      storage: new FileSystemCheckpointStorage(directory),
      overwrite: (path, bytes) => writeFile(join(directory, path), bytes),
    }),
  },
];
