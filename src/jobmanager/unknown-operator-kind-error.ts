/** Thrown when a job names an operator kind that this job manager does not register and the job's bundle does not export. */
export class UnknownOperatorKindError extends Error {
  override readonly name = 'UnknownOperatorKindError';
  constructor(readonly jobId: string, readonly taskId: string, readonly kind: string, readonly known: readonly string[], readonly bundle: string | null) {
    super(
      `task ${taskId} of job ${jobId} runs operator kind '${kind}', which this job manager does not register` +
        (bundle === null ? ' and the job has no operatorBundle' : ` and operator bundle ${bundle} does not export`) +
        `; registered kinds: ${known.length === 0 ? '(none)' : known.join(', ')}. Register it in every job manager (operators) or export it from the job's operator bundle`,
    );
  }
}
