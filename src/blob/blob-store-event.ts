/** Something a BlobStore repaired or retried on its own; failures it could not overcome are thrown instead. */
export type BlobStoreEvent =
  /** A local copy did not hash to its key: it was deleted and fetched again from the HA copy. */
  | { readonly type: 'local-copy-repaired'; readonly jobId: string; readonly key: string; readonly path: string; readonly problem: string }
  /** A fetch from the HA copy failed and will be tried again after `backoffMs`. */
  | { readonly type: 'fetch-retry'; readonly jobId: string; readonly key: string; readonly attempt: number; readonly backoffMs: number; readonly error: unknown };
