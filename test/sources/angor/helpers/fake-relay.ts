// A minimal NIP-01 relay on 127.0.0.1 for tests: EVENT (verified, answered with OK), REQ (stored
// matches, then EOSE), CLOSE. Seeded events are served as they are, unverified, so tests can
// plant forged ones. `hang` makes it accept connections and then never answer anything.
import type { AddressInfo } from 'node:net';
import { matchFilters, type Filter } from 'nostr-tools/filter';
import { verifyEvent, type Event } from 'nostr-tools/pure';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakeRelay {
  url: string;
  /** Events served to REQs (seeded ones are not verified). */
  events: Event[];
  /** Every REQ's filters, in arrival order. */
  reqs: Filter[][];
  /** When true, new messages are ignored: the connection stays open and silent. */
  hang: boolean;
  close(): Promise<void>;
}

export async function startFakeRelay(opts: { events?: Event[]; hang?: boolean } = {}): Promise<FakeRelay> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const sockets = new Set<WebSocket>();
  const relay: FakeRelay = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    events: [...(opts.events ?? [])],
    reqs: [],
    hang: opts.hang ?? false,
    close: async () => {
      for (const s of sockets) s.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };

  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    const send = (msg: unknown[]) => ws.send(JSON.stringify(msg));
    ws.on('message', (data) => {
      if (relay.hang) return;
      let msg: unknown;
      try {
        msg = JSON.parse(String(data));
      } catch {
        return send(['NOTICE', 'invalid: not JSON']);
      }
      if (!Array.isArray(msg)) return send(['NOTICE', 'invalid: not an array']);
      const [type, ...rest] = msg as [string, ...unknown[]];
      if (type === 'EVENT') {
        const event = rest[0] as Event;
        if (!verifyEvent(event)) return send(['OK', event?.id ?? '', false, 'invalid: bad signature']);
        if (!relay.events.some((e) => e.id === event.id)) relay.events.push(event);
        return send(['OK', event.id, true, '']);
      }
      if (type === 'REQ') {
        const [subId, ...filters] = rest as [string, ...Filter[]];
        relay.reqs.push(filters);
        for (const e of relay.events) if (matchFilters(filters, e)) send(['EVENT', subId, e]);
        return send(['EOSE', subId]);
      }
      if (type === 'CLOSE') return; // nothing is kept open: every REQ is answered at once
      send(['NOTICE', `unsupported: ${String(type)}`]);
    });
  });
  return relay;
}
