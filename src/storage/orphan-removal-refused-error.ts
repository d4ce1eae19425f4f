/**
 * Thrown by `removeOrphans` when the audit could not read some checkpoint metadata (or found unresolved
 * placeholders in it): the files those checkpoints reference look unreferenced, so deleting "orphans" could
 * destroy the only remaining copy of their state. Fix or remove the named metadata files, then audit again.
 */
export class OrphanRemovalRefusedError extends Error {
  override readonly name = 'OrphanRemovalRefusedError';
  constructor(readonly metadataPaths: readonly string[]) {
    super(
      `refusing to remove orphans: the references of ${metadataPaths.join(', ')} could not be read, so files they reference would look orphaned; ` +
        'fix or remove that metadata, then audit again',
    );
  }
}
