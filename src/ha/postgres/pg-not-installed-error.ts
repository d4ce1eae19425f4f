/** Thrown when the postgres mode is used but the optional peer dependency `pg` is not installed. */
export class PgNotInstalledError extends Error {
  override readonly name = 'PgNotInstalledError';
  constructor(override readonly cause: unknown) {
    super("the postgres high-availability mode needs the 'pg' package, an optional peer dependency of nact-checkpoint: run `npm install pg`");
  }
}
