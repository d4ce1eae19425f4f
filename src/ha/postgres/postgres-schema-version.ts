/** The version of the postgres mode's tables; a database whose tables are of a newer version is refused. */
export const POSTGRES_SCHEMA_VERSION = 1;
