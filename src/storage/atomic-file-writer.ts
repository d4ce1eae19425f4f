import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';

/** Names of files being written start with this; a leftover one is the trace of a crash mid-write. */
export const TEMPORARY_FILE_PREFIX = '.tmp-';

/** True for a file name (not a path) written by {@link writeFileAtomically} that was never renamed into place. */
export function isTemporaryFileName(name: string): boolean {
  return name.startsWith(TEMPORARY_FILE_PREFIX);
}

/** What {@link writeFileAtomically} does when the target already exists. */
export const ExistingFilePolicy = {
  /** Replace it atomically: readers see the old bytes or the new ones, never a mix. */
  REPLACE: 'replace',
  /** Leave it alone and reject with Node's `EEXIST` error: for files that must be written once. */
  FAIL: 'fail',
} as const;
export type ExistingFilePolicy = (typeof ExistingFilePolicy)[keyof typeof ExistingFilePolicy];

/**
 * Writes `bytes` to `targetPath` so that after a crash the file is either absent (or its old version) or
 * complete: write to a `.tmp-` name in the same directory, fsync it, move it into place, fsync the directory.
 * Creates missing parent directories (durably). With {@link ExistingFilePolicy.FAIL} an existing target makes it
 * reject with an `EEXIST` error. On any failure the temporary file is removed (best effort) and the error rethrown.
 */
export async function writeFileAtomically(
  targetPath: string,
  bytes: Uint8Array,
  existing: ExistingFilePolicy = ExistingFilePolicy.REPLACE,
): Promise<void> {
  const directory = dirname(targetPath);
  await ensureDirectory(directory);
  const temporaryPath = join(directory, `${TEMPORARY_FILE_PREFIX}${randomBytes(8).toString('hex')}-${basename(targetPath)}`);
  let temporaryExists = false;
  try {
    const handle = await open(temporaryPath, 'wx');
    temporaryExists = true;
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (existing === ExistingFilePolicy.REPLACE) {
      await rename(temporaryPath, targetPath);
      temporaryExists = false;
    } else {
      // link() refuses an existing target atomically, which rename() cannot do.
      await link(temporaryPath, targetPath);
      await unlink(temporaryPath);
      temporaryExists = false;
    }
    await syncDirectory(directory);
  } catch (error) {
    if (temporaryExists) await unlink(temporaryPath).catch(() => undefined);
    throw error;
  }
}

/** Creates `directory` and its missing parents, fsyncing each new entry's parent so the directories survive a crash. */
export async function ensureDirectory(directory: string): Promise<void> {
  const firstCreated = await mkdir(directory, { recursive: true });
  if (firstCreated === undefined) return;
  await syncDirectory(dirname(firstCreated));
  const created = [firstCreated];
  const below = relative(firstCreated, directory);
  if (below !== '') {
    let current = firstCreated;
    for (const segment of below.split(sep)) {
      current = join(current, segment);
      created.push(current);
    }
  }
  // Each created directory holds the entry of the next one.
  for (const path of created.slice(0, -1)) await syncDirectory(path);
}

/** fsyncs a directory so that renames and new entries in it are durable. Windows cannot open directories; it skips. */
export async function syncDirectory(directory: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
