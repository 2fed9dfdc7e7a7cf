import type { ChatMessage } from '@fc/contracts';
import type { Redis } from 'ioredis';

/** A stored message as the live stream carries it: the wire message plus its position in the conversation. */
export interface LiveMessage {
  conversationId: string;
  seq: number;
  message: ChatMessage;
}

export type LiveListener = (event: LiveMessage) => void;
export type Unsubscribe = () => void;

/**
 * A change the portal inbox shows live (modules/handoff): a new message in, or a new state of, one of the
 * customer's escalated conversations. Carries no more than the conversation's own stream would.
 */
export interface InboxEvent {
  customerId: string;
  /** Empty for `presence`. */
  conversationId: string;
  /** `presence`: someone opened or closed the inbox, or the team changed (modules/team). */
  kind: 'message' | 'updated' | 'presence';
  message?: ChatMessage;
  /** A member removed from the account: their open inbox streams close at once (never sent to browsers). */
  removedUserId?: string;
}
export type InboxListener = (event: InboxEvent) => void;

/**
 * Fans new conversation messages out to the open `/events` streams. In memory for one process; over Redis
 * pub/sub when several API processes share the load, so an agent's reply stored by one process reaches a
 * visitor whose stream is held by another.
 */
export interface LiveBus {
  /** Announces a committed message; never throws (a lost live update is recovered by the stream's replay). */
  publish(event: LiveMessage): Promise<void>;
  /** Resolves once the listener will receive every message published from then on. */
  subscribe(conversationId: string, listener: LiveListener): Promise<Unsubscribe>;
  /** Announces a change to one customer's inbox (the portal's live stream); never throws. */
  publishInbox(event: InboxEvent): Promise<void>;
  /** Resolves once the listener will receive every inbox event of the customer published from then on. */
  subscribeInbox(customerId: string, listener: InboxListener): Promise<Unsubscribe>;
  close(): Promise<void>;
}

const CHANNEL_PREFIX = 'fc-live:';
const INBOX_CHANNEL_PREFIX = 'fc-inbox:';

/** Listeners per conversation (or per inbox) in this process; both bus variants deliver through it. */
function createLocalFanout<E extends { conversationId: string }, L extends (event: E) => void = (event: E) => void>(keyOf: (event: E) => string = (event) => event.conversationId) {
  const listeners = new Map<string, Set<L>>();
  return {
    listeners,
    add(conversationId: string, listener: L): boolean {
      let set = listeners.get(conversationId);
      const isFirst = !set;
      if (!set) listeners.set(conversationId, (set = new Set()));
      set.add(listener);
      return isFirst;
    },
    remove(conversationId: string, listener: L): boolean {
      const set = listeners.get(conversationId);
      if (!set?.delete(listener) || set.size > 0) return false;
      listeners.delete(conversationId);
      return true;
    },
    deliver(event: E): void {
      for (const listener of [...(listeners.get(keyOf(event)) ?? [])]) {
        try {
          listener(event);
        } catch {
          // One broken stream must not keep the message from the others.
        }
      }
    },
  };
}

/** The single-process bus: publish calls the listeners directly. */
export function createMemoryLiveBus(): LiveBus {
  const fanout = createLocalFanout<LiveMessage>();
  const inbox = createLocalFanout<InboxEvent>((event) => event.customerId);
  return {
    async publishInbox(event) {
      inbox.deliver(event);
    },
    async subscribeInbox(customerId, listener) {
      inbox.add(customerId, listener);
      return () => void inbox.remove(customerId, listener);
    },
    async publish(event) {
      fanout.deliver(event);
    },
    async subscribe(conversationId, listener) {
      fanout.add(conversationId, listener);
      return () => void fanout.remove(conversationId, listener);
    },
    async close() {
      fanout.listeners.clear();
      inbox.listeners.clear();
    },
  };
}

/**
 * The multi-process bus: one channel per conversation on a subscriber connection duplicated from `redis`
 * (a connection in subscribe mode can do nothing else). A channel is subscribed while at least one local
 * stream follows that conversation. When Redis is unreachable, publish still reaches this process's streams.
 */
export function createRedisLiveBus(redis: Redis, onError: (error: unknown) => void = () => undefined): LiveBus {
  const fanout = createLocalFanout<LiveMessage>();
  const inbox = createLocalFanout<InboxEvent>((event) => event.customerId);
  // The shared connection fails fast when offline; the subscriber queues instead, so a stream opened during a
  // Redis blip subscribes as soon as the connection is back (ioredis re-subscribes after reconnects too).
  const subscriber = redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
  subscriber.on('error', onError);
  const pending = new Map<string, Promise<unknown>>();
  subscriber.on('message', (channel: string, raw: string) => {
    try {
      if (channel.startsWith(CHANNEL_PREFIX)) fanout.deliver(JSON.parse(raw) as LiveMessage);
      else if (channel.startsWith(INBOX_CHANNEL_PREFIX)) inbox.deliver(JSON.parse(raw) as InboxEvent);
    } catch (error) {
      onError(error);
    }
  });

  /** Subscribes the shared connection to a channel while at least one local listener follows it. */
  async function follow(channel: string, isFirst: boolean): Promise<void> {
    if (isFirst) pending.set(channel, subscriber.subscribe(channel));
    try {
      await pending.get(channel);
    } catch (error) {
      onError(error);
    }
  }
  function unfollow(channel: string): void {
    pending.delete(channel);
    subscriber.unsubscribe(channel).catch(onError);
  }

  return {
    async publishInbox(event) {
      try {
        await redis.publish(INBOX_CHANNEL_PREFIX + event.customerId, JSON.stringify(event));
      } catch (error) {
        onError(error);
        inbox.deliver(event);
      }
    },
    async subscribeInbox(customerId, listener) {
      const channel = INBOX_CHANNEL_PREFIX + customerId;
      await follow(channel, inbox.add(customerId, listener));
      return () => {
        if (inbox.remove(customerId, listener)) unfollow(channel);
      };
    },
    async publish(event) {
      try {
        await redis.publish(CHANNEL_PREFIX + event.conversationId, JSON.stringify(event));
      } catch (error) {
        onError(error);
        fanout.deliver(event);
      }
    },
    async subscribe(conversationId, listener) {
      const channel = CHANNEL_PREFIX + conversationId;
      if (fanout.add(conversationId, listener)) pending.set(channel, subscriber.subscribe(channel));
      try {
        await pending.get(channel);
      } catch (error) {
        onError(error);
      }
      return () => {
        if (!fanout.remove(conversationId, listener)) return;
        pending.delete(channel);
        subscriber.unsubscribe(channel).catch(onError);
      };
    },
    async close() {
      fanout.listeners.clear();
      inbox.listeners.clear();
      subscriber.disconnect();
    },
  };
}

/** The bus buildApp uses: Redis pub/sub when a Redis connection is configured, otherwise in memory. */
export function createLiveBus(redis: Redis | null, onError?: (error: unknown) => void): LiveBus {
  return redis ? createRedisLiveBus(redis, onError) : createMemoryLiveBus();
}
