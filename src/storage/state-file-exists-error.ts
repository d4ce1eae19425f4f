/**
 * Thrown when a write-once file (a shared state file or checkpoint metadata) already exists with different bytes.
 * Two uploads chose the same shared name, or a stale coordinator is writing a checkpoint id that is already taken;
 * the existing file is left untouched. Rewriting identical bytes is not an error.
 */
export class StateFileExistsError extends Error {
  override readonly name = 'StateFileExistsError';
  constructor(readonly path: string) {
    super(`${path}: a different file with this name already exists; shared state files and checkpoint metadata are written once (use a unique name, and check that no stale coordinator still writes this job's checkpoints)`);
  }
}
