/*
 * The files of a fresh project that installs the packed package with nact, as a user would: a plain Node ESM
 * script, a strict TypeScript consumer, and the tsconfigs that check it and the README's snippets.
 */

/** The project's package.json: ESM, no dependencies until `npm install` adds them. */
export const CONSUMER_PACKAGE_JSON = JSON.stringify({ name: 'nact-checkpoint-consumer', version: '1.0.0', private: true, type: 'module' }, null, 2);

/** Plain Node, no TypeScript: spawns a coordinator with one task on filesystem storage and completes a checkpoint. */
export const PLAIN_NODE_SCRIPT = `
import { start, stop } from 'nact';
import { ask, deliver, FileSystemCheckpointStorage, JobStatus, operatorTask, prepareCheckpointing, spawnCheckpointCoordinator } from 'nact-checkpoint';

const system = start();
const storage = new FileSystemCheckpointStorage('./checkpoints');
const checkpointing = await prepareCheckpointing({ jobId: 'installed', storage, retained: 2 });
const coordinator = spawnCheckpointCoordinator(system, {
  jobId: 'installed',
  interval: 60_000,
  startScheduler: false,
  ...checkpointing,
  tasks: [
    operatorTask(system, 'counter', () => {
      let total = 0;
      return {
        onMessage: (amount) => { total += amount; },
        snapshotState: () => total,
        restoreState: (state) => { total = state ?? 0; },
      };
    }),
  ],
});
const [counter] = await ask(coordinator, { type: 'GetTasks' });
deliver(counter.ref, 40);
deliver(counter.ref, 2);
const outcome = await ask(coordinator, { type: 'TriggerCheckpointNow' });
await ask(coordinator, { type: 'ShutdownCoordinator', jobStatus: JobStatus.SUSPENDED });
stop(system);
console.log(JSON.stringify({
  status: outcome.status,
  checkpointId: outcome.checkpoint?.checkpointId,
  counter: outcome.checkpoint?.taskStates.counter.operatorState,
}));
`;

/**
 * The subpaths, in plain Node: `nact-checkpoint/testing` drives a coordinator with recording tasks and the manual clock
 * (no test framework installed), and `nact-checkpoint/prometheus` says how to install prom-client, which is not.
 */
export const SUBPATHS_SCRIPT = `
import { ask, JobStatus, spawnCheckpointCoordinator } from 'nact-checkpoint';
import { freshSystem, ManualClock, RecordingTasks } from 'nact-checkpoint/testing';
import { createCheckpointMetrics, PromClientNotInstalledError } from 'nact-checkpoint/prometheus';

const { system, dispose } = freshSystem();
const tasks = new RecordingTasks(system);
const coordinator = spawnCheckpointCoordinator(system, { jobId: 'testing', interval: 1_000, startScheduler: false, clock: new ManualClock(), tasks: [tasks.task('a')] });
const outcome = await ask(coordinator, { type: 'TriggerCheckpointNow' });
await ask(coordinator, { type: 'ShutdownCoordinator', jobStatus: JobStatus.SUSPENDED });
dispose();
const metrics = await createCheckpointMetrics().then(() => 'created', (error) => (error instanceof PromClientNotInstalledError ? error.message : String(error)));
console.log(JSON.stringify({ status: outcome.status, log: tasks.log.slice(0, 2), metrics }));
`;

/** CommonJS: `require` of the ESM package (Node 20.19 and later load ESM synchronously). */
export const COMMONJS_SCRIPT = `
const checkpointing = require('nact-checkpoint');
console.log(typeof checkpointing.spawnCheckpointCoordinator, typeof checkpointing.FileSystemCheckpointStorage);
`;

/** A TypeScript consumer using the public types the way an application does; never run, only type-checked. */
export const TYPESCRIPT_CONSUMER = `
import { start } from 'nact';
import {
  ask, deliver, InMemoryCheckpointStorage, JobStatus, ManualClock, operatorTask, spawnCheckpointCoordinator,
  type CheckpointedOperator, type CheckpointOutcome, type CheckpointStats, type CompletedCheckpoint, type CoordinatorEvent, type Logger,
} from 'nact-checkpoint';
import { RecordingTasks, type TriggerBehaviour } from 'nact-checkpoint/testing';
import { createCheckpointMetrics, type CheckpointMetrics } from 'nact-checkpoint/prometheus';

interface Order {
  readonly kind: 'order';
  readonly amount: number;
}

function orders(): CheckpointedOperator<number, Order> {
  let total = 0;
  return {
    onMessage: (order) => { total += order.amount; },
    snapshotState: () => total,
    restoreState: (state) => { total = state ?? 0; },
  };
}

export async function run(): Promise<CompletedCheckpoint | null> {
  const system = start();
  const events: string[] = [];
  const coordinator = spawnCheckpointCoordinator(system, {
    jobId: 'orders',
    interval: 1_000,
    clock: new ManualClock(),
    storage: new InMemoryCheckpointStorage(),
    tasks: [operatorTask(system, 'orders-0', orders)],
    onEvent: (event: CoordinatorEvent) => { events.push(event.type + '@' + String(event.timestamp) + '/' + event.jobId); },
    logger: { debug: () => undefined, info: (fields, message) => { events.push(message + JSON.stringify(fields)); }, warn: () => undefined, error: () => undefined },
    historySize: 20,
  });
  const logger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
  const metrics: CheckpointMetrics = await createCheckpointMetrics();
  const recording = new RecordingTasks(system);
  const behaviour: TriggerBehaviour = 'decline';
  recording.task('fake', behaviour);
  void logger;
  void metrics.onEvent;

  const tasks = await ask(coordinator, { type: 'GetTasks' });
  const first = tasks[0];
  if (first === undefined) return null;
  deliver<Order>(first.ref, { kind: 'order', amount: 5 });   // a ref from GetTasks, no cast
  // @ts-expect-error the payload must be an Order
  deliver<Order>(first.ref, { kind: 'refund' });

  const stats: CheckpointStats = await ask(coordinator, { type: 'GetCheckpointStats' });
  const outcome: CheckpointOutcome = await ask(coordinator, { type: 'TriggerCheckpointNow' });
  // @ts-expect-error the coordinator answers no such request
  await ask(coordinator, { type: 'TriggerEverything' });
  await ask(coordinator, { type: 'ShutdownCoordinator', jobStatus: JobStatus.SUSPENDED });
  void stats;
  void stats.history.entries.map((entry) => entry.acknowledgementLatency?.p99);
  return outcome.status === 'completed' ? outcome.checkpoint : null;
}
`;

/**
 * The strictest consumer: no ambient types, every library's declarations checked too. `lib` is ES2022 plus, when
 * `dom`, the DOM lib, which nact's own declarations need (they name `Console` and `Event`).
 */
export function strictTsconfig(dom: boolean): string {
  const compilerOptions = {
    target: 'ES2022',
    lib: dom ? ['ES2022', 'DOM'] : ['ES2022'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    types: [],
    skipLibCheck: false,
    noEmit: true,
  };
  return JSON.stringify({ compilerOptions, files: ['consumer.ts'] }, null, 2);
}

/** The README's snippets use `console` and top-level await, as a Node application does: Node's types, strict, libraries checked. */
export function readmeSnippetsTsconfig(typeRoots: string, files: readonly string[]): string {
  return JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2022'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        types: ['node'],
        typeRoots: [typeRoots],
        skipLibCheck: false,
        noEmit: true,
      },
      files,
    },
    null,
    2,
  );
}
