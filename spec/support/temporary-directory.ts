import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the OS temp directory; remove it with {@link removeTemporaryDirectory}. */
export async function createTemporaryDirectory(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'nact-checkpoint-spec-'));
}

export async function removeTemporaryDirectory(directory: string): Promise<void> {
  await rm(directory, { recursive: true, force: true });
}
