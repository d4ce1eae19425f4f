import type Pg from 'pg';

/** The `pg` module, as the postgres mode uses it. */
export type PgModule = typeof Pg;

/** Thrown when the postgres mode is used but the optional peer dependency `pg` is not installed. */
export class PgNotInstalledError extends Error {
  override readonly name = 'PgNotInstalledError';
  constructor(override readonly cause: unknown) {
    super("the postgres high-availability mode needs the 'pg' package, an optional peer dependency of nact-checkpoint: run `npm install pg`");
  }
}

let loaded: Promise<PgModule> | null = null;

/**
 * Loads `pg` on first use, so that only the postgres mode needs it installed.
 * @throws PgNotInstalledError when `pg` cannot be imported.
 */
export function loadPg(): Promise<PgModule> {
  loaded ??= import('pg').then(
    (module) => module.default,
    (error: unknown) => {
      loaded = null;
      throw new PgNotInstalledError(error);
    },
  );
  return loaded;
}
