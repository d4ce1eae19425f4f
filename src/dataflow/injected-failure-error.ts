/** Thrown inside a task's handler when it receives a PoisonPill, so that the attempt crashes as a real fault would. */
export class InjectedFailureError extends Error {
  override readonly name = 'InjectedFailureError';
  constructor(readonly taskId: string, readonly reason: string) {
    super(`task ${taskId} crashed on purpose: ${reason}`);
  }
}
