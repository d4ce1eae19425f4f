import type { JobManagerEvent } from '../../../src/jobmanager/job-manager-event.js';

interface Waiter {
  readonly matches: (event: JobManagerEvent) => boolean;
  readonly resolve: (event: JobManagerEvent) => void;
}

/** How long an in-process job manager may take to report an outcome that file I/O stands between. */
const DEADLINE_MS = 20_000;

/** Every event a job manager reported, and a way to wait for one without polling. */
export class JobManagerEvents {
  readonly all: JobManagerEvent[] = [];
  private waiters: Waiter[] = [];

  readonly listener = (event: JobManagerEvent): void => {
    this.all.push(event);
    const due = this.waiters.filter((waiter) => waiter.matches(event));
    this.waiters = this.waiters.filter((waiter) => !due.includes(waiter));
    for (const waiter of due) waiter.resolve(event);
  };

  /** The types of the events so far, `coordinator-event`s named by their own type. */
  types(): string[] {
    return this.all.map((event) => (event.type === 'coordinator-event' ? `coordinator:${event.event.type}` : event.type));
  }

  /** The first event from position `from` on, reported already or later, that matches; fails naming `what` after the deadline. */
  waitFor<T extends JobManagerEvent['type']>(type: T, what: string, matches: (event: Extract<JobManagerEvent, { type: T }>) => boolean = () => true, from = 0): Promise<Extract<JobManagerEvent, { type: T }>> {
    const test = (event: JobManagerEvent): boolean => event.type === type && matches(event as Extract<JobManagerEvent, { type: T }>);
    const seen = this.all.slice(from).find(test);
    if (seen !== undefined) return Promise.resolve(seen as Extract<JobManagerEvent, { type: T }>);
    return new Promise((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`no '${type}' event (${what}) within ${DEADLINE_MS} ms; events so far: ${this.types().join(', ')}`)), DEADLINE_MS);
      this.waiters.push({ matches: test, resolve: (event) => {
        clearTimeout(deadline);
        resolve(event as Extract<JobManagerEvent, { type: T }>);
      } });
    });
  }

  /** Coordinator events of one type, in order. */
  coordinatorEvents<T extends string>(type: T): Extract<Extract<JobManagerEvent, { type: 'coordinator-event' }>['event'], { type: T }>[] {
    return this.all.flatMap((event) => (event.type === 'coordinator-event' && event.event.type === type ? [event.event as Extract<Extract<JobManagerEvent, { type: 'coordinator-event' }>['event'], { type: T }>] : []));
  }
}
