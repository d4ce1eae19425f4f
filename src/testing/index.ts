// nact-checkpoint/testing: helpers for the specs of applications that use nact-checkpoint. No test framework needed.
export { ManualClock } from '../actor/manual-clock.js';
export { freshSystem, type FreshSystem } from './fresh-system.js';
export { RecordingTasks, type ProtocolLog, type TriggerBehaviour } from './recording-tasks.js';
export { RecordingLogger, type RecordedLogLine } from './recording-logger.js';
