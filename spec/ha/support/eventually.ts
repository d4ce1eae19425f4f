import { setTimeout as delay } from 'node:timers/promises';

/**
 * Waits until `condition` holds, checking every few milliseconds, and fails naming `what` after `deadlineMs`. Only for
 * outcomes that depend on a real external process (the PostgreSQL server delivering a notification, a child process
 * exiting): everything in-process is driven by the manual clock instead.
 */
export async function eventually(what: string, condition: () => boolean | Promise<boolean>, deadlineMs = 10_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${deadlineMs} ms waiting until ${what}`);
    await delay(5);
  }
}
