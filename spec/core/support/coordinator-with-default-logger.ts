/*
 * A child process for the default logger's spec: one coordinator with the default logger completes a checkpoint and
 * receives a malformed message, then the process exits. Whatever the default logger prints goes to stderr.
 */
import { start, stop } from 'nact';
import { ask, tell } from '../../../src/actor/typed-ref.js';
import { spawnCheckpointCoordinator } from '../../../src/coordinator/spawn-checkpoint-coordinator.js';
import { JobStatus } from '../../../src/core/job-status.js';
import { RecordingTasks } from '../../../src/testing/recording-tasks.js';

const system = start();
const tasks = new RecordingTasks(system);
const coordinator = spawnCheckpointCoordinator(system, { jobId: 'quiet-job', interval: 60_000, startScheduler: false, tasks: [tasks.task('only')] });
const outcome = await ask(coordinator, { type: 'TriggerCheckpointNow' });
tell(coordinator as never, { type: 'Nonsense' } as never);
await ask(coordinator, { type: 'ShutdownCoordinator', jobStatus: JobStatus.SUSPENDED });
stop(system);
process.stdout.write(`${outcome.status}\n`);
