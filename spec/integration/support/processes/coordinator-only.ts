// A process that runs nothing but a checkpoint coordinator with the system clock: it must stay alive while the
// scheduler runs, and exit on its own once the coordinator is shut down (or its actor system stopped).
import { start, stop } from 'nact';
import { ask } from '../../../../src/actor/typed-ref.js';
import { spawnCheckpointCoordinator } from '../../../../src/coordinator/spawn-checkpoint-coordinator.js';
import { JobStatus } from '../../../../src/core/job-status.js';
import { operatorTask } from '../../../../src/task/spawn-task.js';

const ending = process.argv[2] === 'stop-system' ? 'stop-system' : 'shutdown';
const system = start();
let completed = 0;
const coordinator = spawnCheckpointCoordinator(system, {
  jobId: 'stays-alive',
  interval: 20,
  tasks: [operatorTask(system, 'counter', () => ({ snapshotState: () => completed, restoreState: () => undefined }))],
  onEvent: (event) => {
    if (event.type !== 'checkpoint-completed' || ++completed !== 3) return;
    console.log('completed 3 checkpoints');
    if (ending === 'stop-system') {
      stop(system);
      return;
    }
    void ask(coordinator, { type: 'ShutdownCoordinator', jobStatus: JobStatus.FINISHED }).then(() => {
      console.log('shut down');
      stop(system);
    });
  },
});
