import { start, stop, type Ref } from 'nact';

/** A started nact actor system for one spec, and the way to stop it. */
export interface FreshSystem {
  readonly system: Ref<unknown>;
  /** Stops the system and every actor in it (coordinators cancel their timers when they stop). Stopping twice is harmless. */
  dispose(): void;
}

/** Starts a fresh nact actor system: one per spec, so no actor or timer of one spec leaks into the next. */
export function freshSystem(): FreshSystem {
  const system = start();
  let stopped = false;
  return {
    system,
    dispose: () => {
      if (stopped) return;
      stopped = true;
      stop(system);
    },
  };
}
