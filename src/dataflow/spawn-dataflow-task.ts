import { spawn, type Ref } from 'nact';
import { tell, typedRef, type TypedRef } from '../actor/typed-ref.js';
import type { TaskDeploymentContext } from '../protocol/task-deployment.js';
import { TaskProtocolPort } from '../protocol/task-protocol-port.js';
import type { DataflowTaskMessage, ProbeTask } from './dataflow-message.js';
import { SourceTask } from './source-task.js';
import { StreamTask } from './stream-task.js';
import type { TaskEnvironment } from './task-environment.js';
import type { TaskPlan } from './task-plan.js';
import { errorMessage } from '../core/error-message.js';

/** Answers the probes a stopped attempt will never handle (nact drops its mailbox), so nobody waits on a dead task. */
function answerProbesLeftIn(mailbox: readonly unknown[], context: TaskDeploymentContext): void {
  for (const entry of mailbox) {
    const message = typeof entry === 'object' && entry !== null && 'message' in entry ? (entry as { readonly message: unknown }).message : entry;
    if (typeof message !== 'object' || message === null || (message as { readonly type?: unknown }).type !== 'ProbeTask') continue;
    tell((message as ProbeTask).replyTo, { status: 'stopped', taskId: context.taskId, attemptId: context.attemptId });
  }
}

/**
 * Spawns one attempt of a dataflow task under `parent` (never under the coordinator) and makes it the task's
 * address in the job's directory. The actor is a thin shell around a SourceTask or StreamTask; when its handler
 * throws, or the actor is stopped, it reports TaskFailed to the coordinator once and stops (answering the probes left
 * in its mailbox), and the coordinator restarts the task as a new attempt and rewinds the whole job.
 */
export function spawnDataflowTask(parent: Ref<unknown>, context: TaskDeploymentContext, plan: TaskPlan, env: TaskEnvironment): TypedRef<DataflowTaskMessage> {
  const port = new TaskProtocolPort(context);
  const index = env.directory.indexOf(context.taskId);
  const redeployed = env.directory.deploymentsAt(index) > 0;
  const ref = spawn(
    parent,
    (task: SourceTask | StreamTask, message: DataflowTaskMessage) => {
      task.handle(message);
      return task;
    },
    undefined,
    {
      initialStateFunc: (ctx) => {
        const self = typedRef<DataflowTaskMessage>(ctx.self);
        return plan.kind === 'source' ? new SourceTask(plan, env, port, self, redeployed) : new StreamTask(plan, env, port);
      },
      onCrash: (_message, error, ctx) => {
        port.reportFailure(errorMessage(error));
        return ctx.stop;
      },
      afterStop: (_task, ctx) => {
        port.reportFailure('the task actor was stopped');
        answerProbesLeftIn(ctx.mailbox, context);
      },
    },
  );
  const typed = typedRef<DataflowTaskMessage>(ref);
  env.directory.register(context.taskId, typed);
  return typed;
}
