import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { AppError } from '../lib/errors.js';
import type { App } from './types.js';

/** Proxies and load balancers drop connections that stay silent for about a minute; a comment keeps ours open. */
const HEARTBEAT_INTERVAL_MS = 15_000;
/** Tells EventSource-style clients how soon to reconnect after a drop. */
const RECONNECT_HINT_MS = 3_000;

/** One open Server-Sent Events response. */
export interface EventStream {
  /** Writes raw SSE text (`event: …\ndata: …\n\n`) while the stream is open; a no-op afterwards. */
  write(chunk: string): void;
  /** Ends the stream from the server's side (its `onClose` runs). */
  end(): void;
}

/** The open SSE streams of one route: a cap per key (a conversation, a customer) and shutdown handling. */
export interface EventStreamRegistry {
  /** Throws 429 when `key` already has the maximum number of open streams. */
  assertRoom(key: string): void;
  /**
   * Takes over the reply: sends the SSE headers and `intro`, keeps the connection alive with heartbeats,
   * and on close (either side) calls `onClose` once and forgets the stream.
   */
  open(request: FastifyRequest, reply: FastifyReply, key: string, intro: string, onClose: () => void): EventStream;
}

/** Creates the stream registry of one SSE route; its streams are ended when the app closes. */
export function createEventStreamRegistry(app: App, maxPerKey: number, tooManyMessage: string): EventStreamRegistry {
  const openStreams = new Set<ServerResponse>();
  const countByKey = new Map<string, number>();
  // Open streams never go idle, so the server would wait for them forever on shutdown: end them first.
  app.addHook('preClose', async () => {
    for (const stream of openStreams) stream.end();
  });

  return {
    assertRoom(key) {
      if ((countByKey.get(key) ?? 0) >= maxPerKey) throw new AppError('rate_limited', tooManyMessage);
    },
    open(request, reply, key, intro, onClose) {
      reply.hijack();
      const stream = reply.raw;
      stream.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no',
      });
      stream.write(`retry: ${RECONNECT_HINT_MS}\n\n${intro}`);
      openStreams.add(stream);
      countByKey.set(key, (countByKey.get(key) ?? 0) + 1);
      const heartbeat = setInterval(() => {
        if (!stream.writableEnded) stream.write(': heartbeat\n\n');
      }, HEARTBEAT_INTERVAL_MS);
      let isClosed = false;
      const cleanup = (): void => {
        if (isClosed) return;
        isClosed = true;
        clearInterval(heartbeat);
        onClose();
        openStreams.delete(stream);
        const left = (countByKey.get(key) ?? 1) - 1;
        if (left > 0) countByKey.set(key, left);
        else countByKey.delete(key);
      };
      stream.on('close', cleanup);
      stream.on('error', cleanup);
      if (request.raw.socket.destroyed) cleanup();
      return {
        write(chunk) {
          if (!isClosed && !stream.writableEnded) stream.write(chunk);
        },
        end() {
          if (!stream.writableEnded) stream.end();
          cleanup();
        },
      };
    },
  };
}
