// A Nostr relay written by others for the Angor tests: @nostr-relay/core (NIP-01 EVENT/REQ/CLOSE,
// id and signature checks on every EVENT) behind @nostr-relay/validator's message schemas, on
// 127.0.0.1 over `ws`, with an in-memory event store. The test side may:
// - publish() an event through the relay, which verifies it (a forged one gets OK false);
// - plant() events straight into the store, as a relay that does not verify would serve them,
//   so the exporter's own verification is what stands between them and /metrics;
// - set `hang`, after which messages are ignored (the connection stays open and silent).
import type { AddressInfo } from 'node:net';
import { EventRepository, EventType, EventUtils, LogLevel, type Event, type Filter } from '@nostr-relay/common';
import { NostrRelay } from '@nostr-relay/core';
import { Validator } from '@nostr-relay/validator';
import { WebSocket, WebSocketServer } from 'ws';

/** NIP-01 storage: regular events by id; replaceable ones keep the newest per pubkey, kind (and d tag). */
class MemoryEventRepository extends EventRepository {
  readonly events = new Map<string, Event>();

  isSearchSupported(): boolean {
    return false;
  }

  upsert(event: Event): { isDuplicate: boolean } {
    if (this.events.has(event.id)) return { isDuplicate: true };
    const type = EventUtils.getType(event.kind);
    if (type === EventType.REPLACEABLE || type === EventType.PARAMETERIZED_REPLACEABLE) {
      const d = type === EventType.PARAMETERIZED_REPLACEABLE ? EventUtils.extractDTagValue(event) : null;
      for (const old of this.events.values()) {
        if (old.pubkey !== event.pubkey || old.kind !== event.kind || (d !== null && EventUtils.extractDTagValue(old) !== d)) continue;
        if (old.created_at > event.created_at || (old.created_at === event.created_at && old.id < event.id)) return { isDuplicate: true };
        this.events.delete(old.id);
      }
    }
    this.events.set(event.id, event);
    return { isDuplicate: false };
  }

  find(filter: Filter): Event[] {
    const found = [...this.events.values()].filter((e) => EventUtils.isMatchingFilter(e, filter)).sort((a, b) => b.created_at - a.created_at);
    return filter.limit === undefined ? found : found.slice(0, filter.limit);
  }

  async destroy(): Promise<void> {
    this.events.clear();
  }
}

export interface TestRelay {
  url: string;
  /** Every REQ's filters, in arrival order. */
  reqs: Filter[][];
  /** When true, new messages are ignored: the connection stays open and silent. */
  hang: boolean;
  /** Sends an EVENT through the relay and returns its OK answer. */
  publish(event: object): Promise<{ accepted: boolean; message: string }>;
  /** Puts events in the store without any check, as a relay that does not verify would serve them. */
  plant(...events: object[]): void;
  /** Empties the store. */
  clear(): void;
  close(): Promise<void>;
}

/** Starts the relay; `events` are published through it and must all be accepted. */
export async function startNostrRelay(opts: { events?: object[]; hang?: boolean } = {}): Promise<TestRelay> {
  const repository = new MemoryEventRepository();
  // No result caches: tests change the store between syncs and expect the next REQ to see it.
  const core = new NostrRelay(repository, { filterResultCacheTtl: 0, eventHandlingResultCacheTtl: 0, logLevel: LogLevel.ERROR });
  const validator = new Validator();
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  const sockets = new Set<WebSocket>();
  let hang = opts.hang ?? false;
  const reqs: Filter[][] = [];

  wss.on('connection', (ws) => {
    sockets.add(ws);
    core.handleConnection(ws);
    ws.on('close', () => {
      sockets.delete(ws);
      core.handleDisconnect(ws);
    });
    ws.on('message', async (data: Buffer) => {
      if (hang) return;
      try {
        const message = await validator.validateIncomingMessage(data);
        if (message[0] === 'REQ') reqs.push(message.slice(2) as Filter[]);
        await core.handleMessage(ws, message);
      } catch (err) {
        ws.send(JSON.stringify(['NOTICE', err instanceof Error ? err.message : String(err)]));
      }
    });
  });

  const publish = (event: object) =>
    new Promise<{ accepted: boolean; message: string }>((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('error', reject);
      ws.once('open', () => ws.send(JSON.stringify(['EVENT', event])));
      ws.on('message', (data: Buffer) => {
        const msg = JSON.parse(String(data)) as unknown[];
        if (msg[0] !== 'OK' && msg[0] !== 'NOTICE') return;
        ws.close();
        resolve(msg[0] === 'OK' ? { accepted: msg[2] === true, message: String(msg[3] ?? '') } : { accepted: false, message: String(msg[1]) });
      });
    });

  const relay: TestRelay = {
    url,
    reqs,
    get hang() {
      return hang;
    },
    set hang(v: boolean) {
      hang = v;
    },
    publish,
    plant: (...events) => {
      for (const e of events) repository.events.set((e as Event).id, e as Event);
    },
    clear: () => repository.events.clear(),
    close: async () => {
      for (const s of sockets) s.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await core.destroy();
    },
  };
  for (const e of opts.events ?? []) {
    const ok = await publish(e);
    if (!ok.accepted) throw new Error(`the relay rejected a seeded event ${(e as Event).id}: ${ok.message}`);
  }
  return relay;
}
