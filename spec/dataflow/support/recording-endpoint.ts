import { spawn, type Ref } from 'nact';
import { ask, tell, typedRef, type TypedRef } from '../../../src/actor/typed-ref.js';
import type { DataflowTaskMessage } from '../../../src/dataflow/dataflow-message.js';
import type { TaskToCoordinatorMessage } from '../../../src/protocol/task-protocol.js';

interface Ping {
  readonly type: 'Ping';
  readonly replyTo: TypedRef<true>;
}

type EndpointMessage = DataflowTaskMessage | TaskToCoordinatorMessage | Ping;

const show = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * A fake that plays both the coordinator and the downstream task of the task under test, so one mailbox records
 * everything that task sends, in the order it sent it: `Records(a1,a2)`, `Barrier(1)`, `Ack(1:[...state])`,
 * `Decline(1)`, `TaskFailed`. Messages sent in epoch e > 0 are shown as `Records@e(...)` / `Barrier@e(...)`.
 */
export class RecordingEndpoint {
  readonly log: string[] = [];
  readonly ref: TypedRef<EndpointMessage>;

  constructor(system: Ref<unknown>) {
    this.ref = typedRef<EndpointMessage>(spawn(system, (state: null, message: EndpointMessage) => {
      this.record(message);
      return state;
    }, undefined, { initialState: null }));
  }

  /** Waits until the endpoint handled everything sent to it so far. */
  async barrier(): Promise<void> {
    await ask(this.ref, { type: 'Ping' });
  }

  private record(message: EndpointMessage): void {
    const at = (epoch: number): string => (epoch === 0 ? '' : `@${epoch}`);
    switch (message.type) {
      case 'Ping':
        tell(message.replyTo, true);
        return;
      case 'Records':
        this.log.push(`Records${at(message.epoch)}(${message.records.map(show).join(',')})`);
        return;
      case 'Barrier':
        this.log.push(`Barrier${at(message.epoch)}(${message.checkpointId})`);
        return;
      case 'AcknowledgeCheckpoint': {
        const handle = message.state.operatorState;
        this.log.push(`Ack(${message.checkpointId}:${handle?.kind === 'inline' ? show(handle.value) : 'none'})`);
        return;
      }
      case 'DeclineCheckpoint':
        this.log.push(`Decline(${message.checkpointId})`);
        return;
      case 'TaskFailed':
        this.log.push('TaskFailed');
        return;
      default:
        this.log.push(`unexpected ${message.type}`);
    }
  }
}
