/**
 * Thrown when the high-availability tables were created by a newer version of nact-checkpoint than this one: this
 * build does not know their layout and refuses to touch them. Upgrade every process, or use another schema/prefix.
 */
export class UnsupportedSchemaVersionError extends Error {
  override readonly name = 'UnsupportedSchemaVersionError';
  constructor(readonly tables: string, readonly foundVersion: number, readonly supportedVersion: number) {
    super(
      `the high-availability tables ${tables} have schema version ${foundVersion}, but this build of nact-checkpoint supports version ${supportedVersion} at most; ` +
        'upgrade nact-checkpoint in every process, or point this one at another schema or table prefix',
    );
  }
}
