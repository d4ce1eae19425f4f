import { open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomically } from '../../storage/atomic-file-writer.js';
import { decodeRecordFile, encodeRecordFile, type HighAvailabilityRecordKind } from '../high-availability-record.js';

/** Reads and verifies a record file; null when it does not exist. @throws CorruptStateError naming the file. */
export async function readRecordFile(path: string, kind: HighAvailabilityRecordKind): Promise<unknown> {
  const bytes = await readIfPresent(path);
  return bytes === null ? null : decodeRecordFile(bytes, path, kind);
}

/** Writes a record file atomically (temporary name, fsync, rename, fsync of the directory). */
export async function writeRecordFile(path: string, kind: HighAvailabilityRecordKind, value: unknown): Promise<void> {
  await writeFileAtomically(path, encodeRecordFile(kind, value));
}

/** The file's bytes, or null when it does not exist. */
export async function readIfPresent(path: string): Promise<Uint8Array | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Removes a file (absent is fine) and fsyncs its directory, so the removal survives a crash. */
export async function removeFileDurably(path: string): Promise<void> {
  await rm(path, { force: true });
  if (process.platform === 'win32') return;
  const directory = await open(dirname(path), 'r').catch(() => null);
  if (directory === null) return;
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
