import { spawn, stop, type Ref } from 'nact';
import { setAskTimeouts, tell, typedRef } from '../actor/typed-ref.js';
import { MAX_TIMER_DELAY_MS } from '../core/timer-limits.js';
import { StandaloneCheckpointIDCounter } from '../checkpoint/standalone-checkpoint-id-counter.js';
import { StandaloneCompletedCheckpointStore } from '../checkpoint/standalone-completed-checkpoint-store.js';
import { CheckpointCoordinator, type CheckpointCoordinatorRef } from './checkpoint-coordinator.js';
import { inMemoryStateCleaner } from './checkpoint-state-cleaner.js';
import { internal, type CoordinatorMailboxMessage } from './coordinator-message.js';
import { validateCoordinatorOptions, type CheckpointCoordinatorOptions } from './coordinator-options.js';

/**
 * Spawns a checkpoint coordinator for one job under `parent` (usually the actor system) and deploys the
 * job's tasks. Tasks are spawned by their deployers, never as children of the coordinator.
 * When the store already holds checkpoints (recovered after a coordinator failure), their shared state is
 * registered again and every task is restored from the latest before the first trigger.
 *
 * @throws InvalidOptionError naming the first invalid option.
 */
export function spawnCheckpointCoordinator(parent: Ref<unknown>, options: CheckpointCoordinatorOptions): CheckpointCoordinatorRef {
  const settings = validateCoordinatorOptions(options);
  const stateCleaner = options.stateCleaner ?? inMemoryStateCleaner;
  const store = options.store ?? new StandaloneCompletedCheckpointStore({ maxRetained: settings.retained, discarder: stateCleaner });
  const idCounter = options.idCounter ?? new StandaloneCheckpointIDCounter();
  const ref = spawn(
    parent,
    (coordinator: CheckpointCoordinator, message: CoordinatorMailboxMessage) => {
      coordinator.handle(message);
      return coordinator;
    },
    settings.name,
    {
      initialStateFunc: (ctx) =>
        new CheckpointCoordinator(settings, {
          self: typedRef<CoordinatorMailboxMessage>(ctx.self),
          store,
          idCounter,
          storage: options.storage ?? null,
          stateCleaner,
          onEvent: options.onEvent ?? null,
          stopTask: (task) => stop(task),
          logger: settings.logger,
        }),
      onCrash: (_message, _error, ctx) => ctx.resume,
      afterStop: (coordinator: CheckpointCoordinator) => coordinator.dispose(),
    },
  );
  const mailbox = typedRef<CoordinatorMailboxMessage>(ref);
  // A checkpoint request is answered when its checkpoint completes or fails: it may wait in the queue for one
  // checkpoint to end, then run for up to the checkpoint timeout itself.
  const checkpointRequestTimeout = Math.min(MAX_TIMER_DELAY_MS, 2 * settings.timeout + 10_000);
  setAskTimeouts(mailbox, { TriggerCheckpointNow: checkpointRequestTimeout, TriggerSavepoint: checkpointRequestTimeout });
  tell(mailbox, internal({ type: 'StartCoordinator' }));
  return mailbox;
}
