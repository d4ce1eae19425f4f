/** Thrown when an option is invalid; `field` names it as the user wrote it, e.g. `CheckpointCoordinatorOptions.interval`. */
export class InvalidOptionError extends Error {
  override readonly name = 'InvalidOptionError';
  constructor(readonly field: string, readonly problem: string) {
    super(`${field} ${problem}`);
  }
}
