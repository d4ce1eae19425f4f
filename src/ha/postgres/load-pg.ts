import type Pg from 'pg';
import { PgNotInstalledError } from './pg-not-installed-error.js';

/** The `pg` module, as the postgres mode uses it. */
export type PgModule = typeof Pg;


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
