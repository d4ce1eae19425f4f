import { dispatch, Nobody, query, type Ref } from 'nact';

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

/** Whether `value` is a nact actor reference (an actor, a temporary reply ref or a system), as far as its shape tells. */
export function isActorRef(value: unknown): value is Ref<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const { system, type } = value as { readonly system?: unknown; readonly type?: unknown };
  return typeof system === 'object' && system !== null && typeof (system as { readonly name?: unknown }).name === 'string'
    && (type === 'actor' || type === 'temp' || type === 'system');
}

/** Views an untyped nact ref as a typed one. Use once, where the actor is spawned. */
export function typedRef<M>(ref: Ref<unknown>): TypedRef<M> {
  return ref as TypedRef<M>;
}

// nact allocates a new `Nobody` sender for every dispatch that names none; replies go through refs in the message here,
// so one shared, never-mutated sender saves an allocation per message on the hot path.
const NO_SENDER = new Nobody();
const dispatchFrom = dispatch as (ref: Ref<unknown>, message: unknown, sender: Ref<unknown>) => void;

/** Sends a message, fire and forget. The message type is checked against the ref, never inferred from the message. */
export function tell<M>(ref: TypedRef<M>, message: NoInfer<M>): void {
  dispatchFrom(ref as Ref<unknown>, message, NO_SENDER);
}

type Requests<M> = Extract<M, { readonly type: string; readonly replyTo: unknown }>;
type RequestOfType<M, T> = Extract<Requests<M>, { readonly type: T }>;
type ReplyOf<Q> = Q extends { readonly replyTo: TypedRef<infer R> } ? R : never;

/** A request message without its `replyTo`: {@link ask} adds a temporary reply ref. */
export type RequestBody<M, T extends Requests<M>['type']> = { readonly type: T } & Omit<RequestOfType<M, T>, 'type' | 'replyTo'>;

/** How long {@link ask} waits when neither the caller nor the actor's spawner says otherwise. */
export const DEFAULT_ASK_TIMEOUT_MS = 10_000;

// Per actor and request type, how long an ask may take by the actor's own account (a checkpoint may run for as long as
// its coordinator's timeout). Keyed by the ref object, which nact hands around as is.
const askTimeouts = new WeakMap<object, Readonly<Record<string, number>>>();

/** Says, for the actor behind `ref`, how long {@link ask} waits for a reply to each request type named. Use where the actor is spawned. */
export function setAskTimeouts(ref: TypedRef<never>, timeouts: Readonly<Record<string, number>>): void {
  askTimeouts.set(ref, timeouts);
}

/**
 * Sends a request (a message with a `replyTo` ref) and waits for the reply; the reply type follows from the
 * request's `type`. Because nact mailboxes are FIFO, the reply also proves every message sent earlier to the
 * same actor was handled: use it as a mailbox barrier instead of sleeping. Without `timeoutMs` it waits as long as the
 * actor's spawner said such a request may take (a coordinator's checkpoint requests: up to its checkpoint timeout),
 * else 10 s.
 *
 * @throws AskTimeoutError when nothing replies within the timeout.
 */
export async function ask<M, T extends Requests<M>['type']>(
  ref: TypedRef<M>,
  request: RequestBody<M, T>,
  timeoutMs: number = askTimeouts.get(ref)?.[request.type] ?? DEFAULT_ASK_TIMEOUT_MS,
): Promise<ReplyOf<RequestOfType<M, T>>> {
  try {
    const reply = await query(ref as Ref<unknown>, (replyTo: Ref<unknown>) => ({ ...request, replyTo }), timeoutMs);
    return reply as ReplyOf<RequestOfType<M, T>>;
  } catch (error) {
    if (error instanceof Error && error.message === 'Query Timeout') throw new AskTimeoutError(timeoutMs, request.type);
    throw error;
  }
}
