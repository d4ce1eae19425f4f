/** Thrown by `JobGraphBuilder` and `createDataflowJob` when the graph or an option is invalid; the message names the vertex or option and the fix. */
export class JobGraphError extends Error {
  override readonly name = 'JobGraphError';
  constructor(readonly subject: string, readonly problem: string) {
    super(`${subject}: ${problem}`);
  }
}
