// Reads Nostr events from several relays at once with nostr-tools. Every relay gets the same REQ;
// events are merged, and nostr-tools drops any event whose id or BIP-340 signature does not check
// out (or that does not match the filter) before we see it. A relay that refuses, closes or stays
// silent past the timeout is skipped; only when no relay answers at all is the query a failure.
import { AbstractRelay } from 'nostr-tools/abstract-relay';
import type { Filter } from 'nostr-tools/filter';
import { verifyEvent } from 'nostr-tools/pure';
import WebSocket from 'ws';
import type { Logger } from '../../log.js';
import { SyncError } from '../sync-error.js';
import { nostrEventSchema, profileContentSchema, type NostrEvent } from './schemas.js';

export interface NostrReaderOptions {
  relays: string[];
  timeoutMs: number;
  log: Logger;
}

type RelayOutcome = 'eose' | 'timeout' | 'refused' | 'closed' | 'aborted';

interface RelayAnswer {
  relay: string;
  outcome: RelayOutcome;
  events: NostrEvent[];
  /** Events dropped for a bad id/signature, a wrong shape or not matching the filter. */
  invalid: number;
}

/** Large REQs are split: relays cap the number of ids/authors per filter. */
const MAX_VALUES_PER_FILTER = 100;
/** One event is a few KB; a relay sending megabytes is broken or hostile. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * ws with its options fixed (nostr-tools constructs it with the URL only) and an error listener
 * that is never removed: closing a socket that is still connecting makes ws emit 'error', which
 * would otherwise crash the process after nostr-tools has detached its own handler.
 */
type WebSocketClass = new (url: string) => WebSocket;

function webSocketClass(timeoutMs: number): WebSocketClass {
  return class QuietWebSocket extends WebSocket {
    constructor(url: string) {
      super(url, { handshakeTimeout: timeoutMs, maxPayload: MAX_MESSAGE_BYTES });
      this.on('error', () => undefined);
    }
  };
}

export class NostrReader {
  private readonly WebSocketImpl: WebSocketClass;

  constructor(private readonly opts: NostrReaderOptions) {
    this.WebSocketImpl = webSocketClass(opts.timeoutMs);
  }

  /** Events by id from any relay; no kinds filter, so legacy kind-30078 project events are found too. */
  async eventsById(ids: readonly string[], signal?: AbortSignal): Promise<Map<string, NostrEvent>> {
    const out = new Map<string, NostrEvent>();
    if (ids.length === 0) return out;
    const events = await this.query(chunk([...new Set(ids)], MAX_VALUES_PER_FILTER).map((c) => ({ ids: c })), 'project events', signal);
    for (const e of events) if (!out.has(e.id)) out.set(e.id, e);
    return out;
  }

  /** The newest valid kind-0 profile per author, reduced to its display name. */
  async profiles(pubkeys: readonly string[], signal?: AbortSignal): Promise<Map<string, { name: string; createdAt: number }>> {
    const out = new Map<string, { name: string; createdAt: number }>();
    if (pubkeys.length === 0) return out;
    const filters = chunk([...new Set(pubkeys)], MAX_VALUES_PER_FILTER).map((c) => ({ authors: c, kinds: [0] }));
    const events = await this.query(filters, 'profiles', signal);
    for (const e of events.sort((a, b) => b.created_at - a.created_at)) {
      if (out.has(e.pubkey)) continue;
      const name = profileName(e.content);
      if (name !== undefined) out.set(e.pubkey, { name, createdAt: e.created_at });
    }
    return out;
  }

  /** Sends the REQ to every relay; throws SyncError when none of them answered. */
  private async query(filters: Filter[], what: string, signal?: AbortSignal): Promise<NostrEvent[]> {
    const answers = await Promise.all(this.opts.relays.map((r) => this.queryRelay(r, filters, signal)));
    if (signal?.aborted) throw new SyncError('aborted', `Nostr query (${what}) aborted`);
    const answered = answers.filter((a) => a.outcome === 'eose');
    const invalid = answers.reduce((n, a) => n + a.invalid, 0);
    const failed = answers.filter((a) => a.outcome !== 'eose').map((a) => ({ relay: a.relay, outcome: a.outcome }));
    if (invalid > 0) this.opts.log.warn({ what, invalid }, 'dropped Nostr events with a bad id, signature or shape');
    if (failed.length > 0) this.opts.log.warn({ what, failed }, 'some Nostr relays did not answer');
    if (answered.length === 0) {
      const reason = failed.some((f) => f.outcome === 'timeout') ? 'timeout' : 'network';
      throw new SyncError(reason, `no Nostr relay answered (${what}): ${failed.map((f) => `${f.relay} ${f.outcome}`).join(', ')}`);
    }
    // Partial answers (a relay closing mid-way) still carry valid, verified events: keep them.
    return answers.flatMap((a) => a.events);
  }

  private queryRelay(url: string, filters: Filter[], signal?: AbortSignal): Promise<RelayAnswer> {
    const { timeoutMs, log } = this.opts;
    const events: NostrEvent[] = [];
    let invalid = 0;
    const relay = new AbstractRelay(url, {
      verifyEvent,
      websocketImplementation: this.WebSocketImpl as unknown as typeof globalThis.WebSocket,
    });
    relay.onnotice = (msg) => log.debug({ relay: url, notice: String(msg).slice(0, 200) }, 'Nostr relay notice');
    return new Promise<RelayAnswer>((resolve) => {
      let done = false;
      const finish = (outcome: RelayOutcome) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        try {
          relay.close();
        } catch {
          // already closed
        }
        resolve({ relay: url, outcome, events, invalid });
      };
      const onAbort = () => finish('aborted');
      const timer = setTimeout(() => finish('timeout'), timeoutMs);
      if (signal?.aborted) return finish('aborted');
      signal?.addEventListener('abort', onAbort, { once: true });
      relay.connect({ timeout: timeoutMs }).then(
        () => {
          if (done) return;
          relay.subscribe(filters, {
            onevent: (raw) => {
              const parsed = nostrEventSchema.safeParse(raw);
              if (parsed.success) events.push(parsed.data);
              else invalid += 1;
            },
            oninvalidevent: () => {
              invalid += 1;
            },
            oneose: () => finish('eose'),
            onclose: () => finish('closed'),
            // nostr-tools treats its own EOSE timeout as an EOSE; we want to tell them apart,
            // so our timer decides and this one never fires first.
            eoseTimeout: timeoutMs * 10,
          });
        },
        () => finish(done ? 'timeout' : 'refused'),
      );
    });
  }
}

/**
 * Display name of a kind-0 profile: displayName, then display_name, then name, cut to 100
 * characters; '' when it names nothing, undefined when the content is not a JSON object.
 */
export function profileName(content: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const parsed = profileContentSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const p = parsed.data;
  for (const candidate of [p.displayName, p.display_name, p.name]) {
    // A label value: no control characters, bounded length.
    const clean = candidate?.replace(/[\p{Cc}\p{Cf}]/gu, ' ').replace(/\s+/g, ' ').trim();
    if (clean) return [...clean].slice(0, 100).join('');
  }
  // A valid profile without any name: the newest profile still wins, with an empty name.
  return '';
}
