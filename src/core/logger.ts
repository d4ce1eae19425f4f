import { debuglog } from 'node:util';
import { InvalidOptionError } from './invalid-option-error.js';

/** Structured context of one log line: the job, checkpoint, task or file it concerns. */
export type LogFields = Readonly<Record<string, unknown>>;

/** One level of a {@link Logger}: pino's `(object, message)` call. */
export type LogMethod = (fields: LogFields, message: string) => void;

/**
 * Where the engine reports what it does and what went wrong: a pino-compatible `{ debug, info, warn, error }`. A pino
 * logger (or a child of one) can be passed as it is; so can `console`. The engine always calls `(fields, message)`.
 * A logger that throws is ignored for that line: logging never breaks the engine.
 */
export interface Logger {
  readonly debug: LogMethod;
  readonly info: LogMethod;
  readonly warn: LogMethod;
  readonly error: LogMethod;
}

/** The four levels, lowest first. */
export const LogLevel = {
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
} as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

const LEVELS: readonly LogLevel[] = Object.values(LogLevel);

/** The `NODE_DEBUG` section that turns on the default logger's output. */
export const DEBUG_SECTION = 'nact-checkpoint';

const debugOutput = debuglog(DEBUG_SECTION);

function toStderr(level: LogLevel): LogMethod {
  return (fields, message) => {
    if (!debugOutput.enabled) return;
    const context = Object.keys(fields).length === 0 ? '' : ` ${safeJson(fields)}`;
    debugOutput('%s %s%s', level, message, context);
  };
}

/**
 * The logger used when none is given: quiet, unless `NODE_DEBUG=nact-checkpoint` (node's `util.debuglog`), which prints
 * every level to stderr. Whatever it drops is also counted in stats or reported through events and failure lists.
 */
export const defaultLogger: Logger = Object.freeze({
  debug: toStderr(LogLevel.DEBUG),
  info: toStderr(LogLevel.INFO),
  warn: toStderr(LogLevel.WARN),
  error: toStderr(LogLevel.ERROR),
});

/** Writes one line to `logger` at `level`, swallowing anything the logger throws. */
export function logSafely(logger: Logger, level: LogLevel, fields: LogFields, message: string): void {
  try {
    logger[level](fields, message);
  } catch {
    // A broken logger must not break checkpointing; the same facts are in the stats and events.
  }
}

/**
 * Checks a `logger` option: undefined gives {@link defaultLogger}.
 * @throws InvalidOptionError naming `field` when the value is not an object with debug, info, warn and error functions.
 */
export function validateLogger(value: unknown, field: string): Logger {
  if (value === undefined) return defaultLogger;
  if (typeof value !== 'object' || value === null) {
    throw new InvalidOptionError(field, `must be a logger { debug, info, warn, error } (pino works), got ${value === null ? 'null' : typeof value}`);
  }
  const missing = LEVELS.filter((level) => typeof (value as Record<string, unknown>)[level] !== 'function');
  if (missing.length > 0) throw new InvalidOptionError(field, `lacks the method${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (a pino-compatible logger has debug, info, warn and error)`);
  // Bound once, so a logger whose methods need `this` (pino, console) works when its methods are called alone.
  const logger = value as Logger;
  return {
    debug: logger.debug.bind(logger),
    info: logger.info.bind(logger),
    warn: logger.warn.bind(logger),
    error: logger.error.bind(logger),
  };
}

function safeJson(fields: LogFields): string {
  try {
    return JSON.stringify(fields, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value instanceof Error ? value.message : value));
  } catch {
    return '[fields not serializable]';
  }
}
