import { dispatch, query, type Ref } from 'nact';

declare const acceptedMessages: unique symbol;

/**
 * A nact reference that only accepts messages of type `M`.
 *
 * nact's own `Ref<T>` never uses `T`, so any ref is assignable to any other. The phantom
 * member below is contravariant in `M`: a ref that accepts a wider union can be passed
 * where a narrower one is expected, never the other way round.
 */
export type TypedRef<M> = Ref<M> & { readonly [acceptedMessages]?: (message: M) => void };

/** Thrown by {@link ask} when no reply arrives within the timeout. */
export class AskTimeoutError extends Error {
  override readonly name = 'AskTimeoutError';
  constructor(readonly timeoutMs: number, readonly messageType: string) {
    super(`no reply to '${messageType}' within ${timeoutMs} ms: the actor is stopped, stuck, or never replies to this message`);
  }
}

/** Views an untyped nact ref as a typed one. Use once, where the actor is spawned. */
export function typedRef<M>(ref: Ref<unknown>): TypedRef<M> {
  return ref as TypedRef<M>;
}

/** Sends a message, fire and forget. The message type is checked against the ref, never inferred from the message. */
export function tell<M>(ref: TypedRef<M>, message: NoInfer<M>): void {
  dispatch(ref as Ref<unknown>, message);
}

/**
 * Sends a message built around a temporary reply ref and waits for the reply.
 * Because nact mailboxes are FIFO, the reply also proves every message sent earlier to the same actor was handled.
 *
 * @throws AskTimeoutError when nothing replies within `timeoutMs`.
 */
export async function ask<M, R>(
  ref: TypedRef<M>,
  build: (replyTo: TypedRef<R>) => NoInfer<M>,
  timeoutMs = 10_000,
): Promise<R> {
  let messageType = 'message';
  const factory = (temporary: Ref<unknown>): M => {
    const message = build(temporary as TypedRef<R>);
    const type = (message as { type?: unknown }).type;
    if (typeof type === 'string') messageType = type;
    return message;
  };
  try {
    return (await query(ref as Ref<unknown>, factory as (temporary: Ref<unknown>) => unknown, timeoutMs)) as R;
  } catch (error) {
    if (error instanceof Error && error.message === 'Query Timeout') throw new AskTimeoutError(timeoutMs, messageType);
    throw error;
  }
}
