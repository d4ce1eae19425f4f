import type { LogFields, LogLevel, Logger } from '../core/logger.js';

/** One line a {@link RecordingLogger} received. */
export interface RecordedLogLine {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: LogFields;
}

/** A logger for specs: it keeps every line, so a spec can assert what was reported and at which level. */
export class RecordingLogger implements Logger {
  readonly lines: RecordedLogLine[] = [];
  readonly debug = (fields: LogFields, message: string): void => this.record('debug', fields, message);
  readonly info = (fields: LogFields, message: string): void => this.record('info', fields, message);
  readonly warn = (fields: LogFields, message: string): void => this.record('warn', fields, message);
  readonly error = (fields: LogFields, message: string): void => this.record('error', fields, message);

  /** The lines of one level, in order. */
  at(level: LogLevel): RecordedLogLine[] {
    return this.lines.filter((line) => line.level === level);
  }

  /** The messages of one level, in order. */
  messagesAt(level: LogLevel): string[] {
    return this.at(level).map((line) => line.message);
  }

  private record(level: LogLevel, fields: LogFields, message: string): void {
    this.lines.push({ level, message, fields });
  }
}
