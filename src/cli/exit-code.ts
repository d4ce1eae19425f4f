/**
 * Exit codes of the `nact-checkpoint` command. Each failure class has its own code, so scripts can tell "nothing to
 * look at" from "something is damaged"; `--help` lists them with {@link EXIT_CODE_MEANINGS}.
 */
export const CliExitCode = {
  OK: 0,
  /** Missing or corrupt metadata or state files were found (for `verify`, also orphans). */
  PROBLEMS_FOUND: 1,
  /** The command line is wrong: unknown command or option, missing or malformed value. */
  USAGE: 2,
  /** The job's path does not exist, or holds none of a job directory's entries. */
  NOT_A_JOB_DIRECTORY: 3,
  /** The job directory exists but holds no checkpoint (no `chk-<id>/_metadata`). */
  NO_CHECKPOINTS: 4,
  /** `--dir` or the job's path is a file, not a directory. */
  NOT_A_DIRECTORY: 5,
  /** `inspect`: no retained checkpoint has that id. */
  CHECKPOINT_NOT_FOUND: 6,
  /** `gc`: refused, because some metadata cannot be read and the files it references would look orphaned. */
  GC_REFUSED: 7,
  /** `gc --yes`: some orphans could not be deleted. */
  GC_INCOMPLETE: 8,
  /** `history`, `report`: the job directory holds no checkpoint history (`checkpoint-history.json`). */
  NO_HISTORY: 9,
  /** Anything unexpected: an I/O error such as a permission problem, or a bug. The message says what failed. */
  UNEXPECTED: 70,
} as const;
export type CliExitCode = (typeof CliExitCode)[keyof typeof CliExitCode];

/** The name of an exit code, as JSON output spells it (`NO_CHECKPOINTS`). */
export type CliExitCodeName = keyof typeof CliExitCode;

/** One line of `--help` per exit code. */
export const EXIT_CODE_MEANINGS: Readonly<Record<CliExitCodeName, string>> = {
  OK: 'success (gc without --yes: a dry run that deleted nothing)',
  PROBLEMS_FOUND: 'missing or corrupt metadata or state files found (verify: also orphans)',
  USAGE: 'bad command line',
  NOT_A_JOB_DIRECTORY: 'the job path does not exist or is not a job directory',
  NO_CHECKPOINTS: 'the job directory holds no checkpoint',
  NOT_A_DIRECTORY: '--dir or the job path is a file, not a directory',
  CHECKPOINT_NOT_FOUND: 'inspect: no retained checkpoint has that id',
  GC_REFUSED: 'gc refused: some metadata cannot be read, so referenced files would look orphaned',
  GC_INCOMPLETE: 'gc --yes: some orphans could not be deleted',
  NO_HISTORY: 'history, report: the job directory holds no checkpoint history',
  UNEXPECTED: 'unexpected failure (an I/O error such as a permission problem, or a bug)',
};

/** The name of `code`, e.g. `NO_CHECKPOINTS` for 4. */
export function exitCodeName(code: CliExitCode): CliExitCodeName {
  const entry = Object.entries(CliExitCode).find(([, value]) => value === code);
  return (entry?.[0] ?? 'UNEXPECTED') as CliExitCodeName;
}
