/** Thrown when a job is to be restored from a path that holds no savepoint or retained checkpoint metadata. */
export class RestorePointNotFoundError extends Error {
  override readonly name = 'RestorePointNotFoundError';
  constructor(readonly path: string, readonly metadataPath: string) {
    super(
      `${path}: no savepoint or retained checkpoint here (${metadataPath} does not exist); ` +
        'give the directory TriggerSavepoint reported (savepoint-<jobId>-<id>-…) or a retained checkpoint directory <base>/<jobId>/chk-<id>',
    );
  }
}
