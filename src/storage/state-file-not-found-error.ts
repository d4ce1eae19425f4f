/**
 * Thrown when a state file or metadata file a handle or pointer names is not in storage: it was deleted, never
 * written, or the storage base is not the one the checkpoint was written to.
 */
export class StateFileNotFoundError extends Error {
  override readonly name = 'StateFileNotFoundError';
  constructor(
    readonly path: string,
    readonly storage: string,
    readonly what: 'state file' | 'checkpoint metadata' = 'state file',
  ) {
    super(`${path}: ${what} not found in ${storage} storage`);
  }
}
