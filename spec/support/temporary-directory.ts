import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the OS temp directory; remove it with {@link removeTemporaryDirectory}. */
export async function createTemporaryDirectory(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'nact-checkpoint-spec-'));
}

/**
 * Removes the directory and everything in it. Retries when a file appears while it is being emptied (a task-local copy
 * or a deletion still finishing after the spec's last assertion), instead of failing the spec's clean-up.
 */
export async function removeTemporaryDirectory(directory: string): Promise<void> {
  await rm(directory, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
}
