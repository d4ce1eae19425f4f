/** Thrown when an operator bundle has no function exported under the requested operator kind. */
export class OperatorKindNotFoundError extends Error {
  override readonly name = 'OperatorKindNotFoundError';
  constructor(
    readonly jobId: string,
    readonly key: string,
    readonly kind: string,
    /** The functions the bundle does export. */
    readonly available: readonly string[],
  ) {
    super(
      `operator bundle ${key} of job ${jobId} exports no operator kind '${kind}' ` +
        `(it exports ${available.length === 0 ? 'no functions' : available.map((name) => `'${name}'`).join(', ')}); export the operator factory under its kind name`,
    );
  }
}
