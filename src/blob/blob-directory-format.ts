import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDirectory, writeFileAtomically } from '../storage/atomic-file-writer.js';
import { CorruptStateError } from '../storage/corrupt-state-error.js';

/** The format version of blob directories (local and HA) this build writes and reads. */
export const BLOB_STORE_FORMAT_VERSION = 1;

const MARKER = 'blob-store.json';
const FORMAT = 'nact-checkpoint/blob-store';

/*
 * Layout of a blob directory (the local one and the filesystem HA copy alike):
 *
 *   <directory>/blob-store.json          { "format": "nact-checkpoint/blob-store", "formatVersion": 1 }
 *   <directory>/jobs/<jobId>/<key>       the blob's bytes; <key> is their SHA-256
 *   <directory>/jobs/<jobId>/.tmp-*      a write in progress (left over by a crash: removed on open)
 */

/** `<directory>/jobs/<jobId>`. */
export function jobDirectoryOf(directory: string, jobId: string): string {
  return join(directory, 'jobs', jobId);
}

/**
 * Creates the directory with its format marker, or checks the marker of an existing one.
 * @throws CorruptStateError naming the marker when it is unreadable or of another format version.
 */
export async function openBlobDirectory(directory: string): Promise<void> {
  await ensureDirectory(join(directory, 'jobs'));
  const marker = join(directory, MARKER);
  let text: string;
  try {
    text = await readFile(marker, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await writeFileAtomically(marker, new TextEncoder().encode(JSON.stringify({ format: FORMAT, formatVersion: BLOB_STORE_FORMAT_VERSION })));
    return;
  }
  let record: { format?: unknown; formatVersion?: unknown };
  try {
    record = JSON.parse(text) as typeof record;
  } catch {
    throw new CorruptStateError(marker, 'the blob directory marker is not valid JSON (truncated?)');
  }
  if (record.format !== FORMAT) throw new CorruptStateError(marker, `not a blob directory marker (format ${JSON.stringify(record.format)})`);
  if (record.formatVersion !== BLOB_STORE_FORMAT_VERSION) {
    throw new CorruptStateError(marker, `unsupported blob directory format version ${JSON.stringify(record.formatVersion)}; this build reads version ${BLOB_STORE_FORMAT_VERSION}`);
  }
}
