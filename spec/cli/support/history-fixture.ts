import { tell } from '../../../src/actor/typed-ref.js';
import { asCheckpointId, asTaskId } from '../../../src/core/ids.js';
import { JobStatus } from '../../../src/core/job-status.js';
import { FileSystemCheckpointStorage } from '../../../src/storage/filesystem-checkpoint-storage.js';
import { CoordinatorHarness } from '../../support/coordinator-harness.js';

/**
 * Job `job-1` under `directory` as a real coordinator (manual clock at 1,000, two tasks) leaves it: checkpoint 1
 * completed (at 1,000, 0 ms), checkpoint 2 declined by the sink, checkpoint 3 completed after 40 ms (the sink
 * acknowledging late), a restore to checkpoint 3 at 1,050, then a shutdown that keeps the checkpoints (SUSPENDED).
 */
export async function aJobWithHistory(directory: string): Promise<void> {
  const h = new CoordinatorHarness();
  try {
    await h.spawn({ startScheduler: false, storage: new FileSystemCheckpointStorage(directory), tolerableFailures: 5 });
    await h.triggerNow();
    h.tasks.answer('sink', 'decline');
    await h.triggerNow();
    h.tasks.answer('sink', 'stay-silent');
    const third = h.triggerNow();
    await h.settle();
    await h.advance(40);
    const { jobId, attemptId } = h.tasks.current('sink');
    tell(h.coordinator, { type: 'AcknowledgeCheckpoint', jobId, taskId: asTaskId('sink'), attemptId, checkpointId: asCheckpointId(3), state: { operatorState: { kind: 'inline', value: 'late' }, keyedState: [] } });
    await third;
    await h.advance(10);
    await h.restore();
    await h.settle();
    await h.shutdown(JobStatus.SUSPENDED);
  } finally {
    h.dispose();
  }
}
