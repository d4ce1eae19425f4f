/** Thrown when stored bytes fail verification: wrong size, wrong checksum, unknown format version or unparsable content. */
export class CorruptStateError extends Error {
  override readonly name = 'CorruptStateError';
  constructor(readonly path: string, readonly problem: string) {
    super(`${path}: ${problem}; refusing to use it (restore from an older checkpoint or remove the file)`);
  }
}
