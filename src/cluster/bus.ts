/**
 * Messages between nodes over Redis pub/sub: one channel per node and one for all. Delivery
 * is at most once (a node that is disconnected at the moment misses it), so whoever waits on
 * an answer also has a time bound or looks at the directory again.
 *
 * Every received message is checked (messages.ts) before a handler sees it; what fails is
 * dropped, counted by reason and logged (at most once a second, so a flood cannot fill logs).
 * A handler's fault is caught here and reported like any internal error: one bad message
 * does not stop the bus.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ClusterKeys } from './directory.ts';
import { decodeMessage, encodeMessage, type BusKind, type BusMessageOf, type DropReason, type Outgoing } from './messages.ts';
import { errorText } from '../shared/error-text.ts';

export interface BusOptions {
  publisher: Redis;
  listener: Redis;
  keys: ClusterKeys;
  nodeId: string;
  logger: Logger;
  onDropped(reason: DropReason): void;
  onInternalError(): void;
}

type Handler<K extends BusKind> = (message: BusMessageOf<K>) => void;

const LOG_EVERY_MS = 1000;

export class ClusterBus {
  readonly #options: BusOptions;
  readonly #own: string;
  readonly #all: string;
  readonly #handlers = new Map<BusKind, (message: never) => void>();
  #lastDropLog = 0;
  #lastSendFailureLog = 0;
  readonly #onMessage = (channel: Buffer, raw: Buffer): void => this.#receive(channel, raw);

  constructor(options: BusOptions) {
    this.#options = options;
    this.#own = options.keys.nodeChannel(options.nodeId);
    this.#all = options.keys.allChannel;
  }

  async start(): Promise<void> {
    this.#options.listener.on('messageBuffer', this.#onMessage);
    await this.#options.listener.subscribe(this.#own, this.#all);
  }

  on<K extends BusKind>(kind: K, handler: Handler<K>): void {
    this.#handlers.set(kind, handler);
  }

  /** Publishes to one node; false when Redis could not take it (the caller's time bound covers that). */
  send(nodeId: string, message: Outgoing): Promise<boolean> {
    return this.#publish(this.#options.keys.nodeChannel(nodeId), message);
  }

  /** Publishes to every node but this one. */
  broadcast(message: Outgoing): Promise<boolean> {
    return this.#publish(this.#all, message);
  }

  async #publish(channel: string, message: Outgoing): Promise<boolean> {
    try {
      await this.#options.publisher.publish(channel, encodeMessage(this.#options.nodeId, message));
      return true;
    } catch (err) {
      // At most one line a second: during a Redis outage every Logout and kick would log one.
      const now = performance.now();
      if (now - this.#lastSendFailureLog >= LOG_EVERY_MS) {
        this.#lastSendFailureLog = now;
        this.#options.logger.warn({ kind: message.t, err: errorText(err) }, 'cluster message not sent');
      }
      return false;
    }
  }

  #receive(channel: Buffer, raw: Buffer): void {
    try {
      const name = channel.toString('utf8');
      if (name !== this.#own && name !== this.#all) return;
      const decoded = decodeMessage(raw);
      if (!decoded.ok) {
        this.#drop(decoded.reason, decoded.detail, raw.length);
        return;
      }
      const message = decoded.message;
      // Our own broadcasts come back to us too.
      if (message.from === this.#options.nodeId) return;
      const handler = this.#handlers.get(message.t) as Handler<typeof message.t> | undefined;
      handler?.(message);
    } catch (err) {
      this.#options.onInternalError();
      this.#options.logger.error({ err }, 'internal error while handling a cluster message');
    }
  }

  #drop(reason: DropReason, detail: string, bytes: number): void {
    this.#options.onDropped(reason);
    const now = performance.now();
    if (now - this.#lastDropLog < LOG_EVERY_MS) return;
    this.#lastDropLog = now;
    this.#options.logger.warn({ reason, detail, bytes }, 'cluster message dropped');
  }

  /** Stops handing messages on (the listening connection is closed by its owner). */
  stop(): void {
    this.#options.listener.off('messageBuffer', this.#onMessage);
  }
}
