import { randomBytes } from 'node:crypto';
import { copyFile, link, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureDirectory, TEMPORARY_FILE_PREFIX } from '../storage/atomic-file-writer.js';
import type { BlobKey } from './blob-key.js';
import type { BlobStore } from './blob-store.js';
import { OperatorKindNotFoundError } from './operator-kind-not-found-error.js';

/*
 * An operator bundle is an ES module stored as a blob of its job: it exports operator factories under their kind
 * names (`export function wordCounter(context) { ... }`). Bundles must be self-contained (bundled), or import only
 * Node's built-in modules: a bundle is loaded from the blob directory, where no node_modules are.
 */

/** Any function a bundle exports under an operator kind name. */
export type OperatorKind = (...args: never[]) => unknown;

/** Stores an operator bundle (ES module source) as a blob of the job; returns its key. Rejects like BlobStore.put. */
export function putOperatorBundle(store: BlobStore, jobId: string, source: string | Uint8Array): Promise<BlobKey> {
  return store.put(jobId, typeof source === 'string' ? new TextEncoder().encode(source) : source);
}

/**
 * Imports an operator bundle: fetches and verifies the blob (from the HA copy when this job manager does not have it),
 * gives the verified file a `.mjs` name beside it (`jobs/<jobId>/modules/<key>.mjs`, removed with the job) and imports
 * it. A bundle is imported once per process: its key names its content. Rejects like BlobStore.get, and with the
 * module's own error when it does not evaluate.
 */
export async function loadOperatorBundle(store: BlobStore, jobId: string, key: string): Promise<Readonly<Record<string, unknown>>> {
  const blob = await store.get(jobId, key);
  const modules = join(dirname(blob), 'modules');
  const modulePath = join(modules, `${key}.mjs`);
  await ensureDirectory(modules);
  const temporary = join(modules, `${TEMPORARY_FILE_PREFIX}${randomBytes(8).toString('hex')}.mjs`);
  try {
    await link(blob, temporary).catch(() => copyFile(blob, temporary));
    await rename(temporary, modulePath);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  return (await import(pathToFileURL(modulePath).href)) as Readonly<Record<string, unknown>>;
}

/**
 * The operator factory a bundle exports under `kind`. Only checks that it is a function: the caller knows its signature.
 * Rejects with {@link OperatorKindNotFoundError} (listing what the bundle exports) when there is none, and like
 * {@link loadOperatorBundle} otherwise.
 */
export async function loadOperatorKind<F extends OperatorKind = OperatorKind>(store: BlobStore, jobId: string, key: string, kind: string): Promise<F> {
  const bundle = await loadOperatorBundle(store, jobId, key);
  const candidate = bundle[kind];
  if (typeof candidate !== 'function') {
    throw new OperatorKindNotFoundError(jobId, key, kind, Object.keys(bundle).filter((name) => typeof bundle[name] === 'function').sort());
  }
  return candidate as F;
}
