// A Greenfield-compatible BTCPay Server simulator (node:http), for demo mode, tests and benchmarks.
// State lives in memory; time comes from a clock the caller controls. Tests drive it through the
// methods below (create, pay, confirm, expire, mark, archive, advance) and compare the exporter
// with groundTruth(). Other modules add routes with addRoutes() from their own file.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../log.js';
import { ApiKeys, PERM } from './api-keys.js';
import { SystemClock, type SimClock, ManualClock } from './clock.js';
import { registerGreenfieldRoutes, type GreenfieldContext, type SimCompat } from './greenfield-routes.js';
import { SimModel, type AddStoreInput, type CreateInvoiceInput, type GroundTruth, type PayInput, type SimInvoice, type SimPayment, type SimStore } from './model.js';
import { Rng } from './rng.js';
import { registerStoreRatesRoute, SimStoreRates } from './store-rates.js';
import { SimRouter, type SimRequest } from './router.js';
import { WebhookSender, type SimWebhook } from './webhooks.js';
import { notifyAnswer } from './observer.js';

export interface SimulatorOptions {
  clock?: SimClock;
  seed?: number;
  compat?: Partial<SimCompat>;
  /** Multiplies webhook redelivery waits (1 = BTCPay's real 10 s / 1 min / 10 min). */
  webhookRetryScale?: number;
  webhookTimeoutMs?: number;
  log?: Logger;
}

/** API faults: random rates (seeded) and an explicit queue of forced answers. */
export interface ApiFaults {
  rate429: number;
  rate5xx: number;
  /** Added before every API answer. */
  latencyMs: number;
  /** Retry-After sent with 429s (seconds or an HTTP date); none when undefined. */
  retryAfter: string | undefined;
}

export interface ForcedFault {
  status: number;
  /** Only requests whose path (without query) matches; all API requests when omitted. */
  path?: RegExp;
  /** How many matching requests get it (default 1; Infinity for "until cleared"). */
  times?: number;
  retryAfter?: string;
  /** Answer after this delay instead (for client timeouts); status is still sent. */
  delayMs?: number;
}

export interface RequestInfo {
  method: string;
  path: string;
  query: URLSearchParams;
}

export type RouteInstaller = (router: SimRouter, sim: BtcpaySimulator) => void;

export class BtcpaySimulator {
  readonly clock: SimClock;
  readonly model: SimModel;
  readonly keys = new ApiKeys();
  readonly webhooks: WebhookSender;
  readonly router = new SimRouter();
  readonly compat: SimCompat;
  /** The stores' BTC rates (GET /api/v1/stores/{id}/rates); tests make pairs fail through it. */
  readonly rates: SimStoreRates;
  readonly faults: ApiFaults = { rate429: 0, rate5xx: 0, latencyMs: 0, retryAfter: undefined };
  /** Requests served, per "METHOD /path" without query; tests read it. */
  readonly requestCounts = new Map<string, number>();
  onRequest: ((info: RequestInfo) => void) | undefined;
  /**
   * Awaited after an answer is computed and before it is sent: a test can hold a request whose
   * answer already reflects the state at that moment (a latch; change the state meanwhile).
   */
  beforeRespond: ((info: RequestInfo & { status: number }) => void | Promise<void>) | undefined;
  private readonly forced: Array<Required<Pick<ForcedFault, 'status' | 'times'>> & ForcedFault> = [];
  private readonly faultRng: Rng;
  private server: Server | undefined;
  private baseUrl = 'http://127.0.0.1';

  constructor(private readonly opts: SimulatorOptions = {}) {
    this.clock = opts.clock ?? new SystemClock();
    const seed = opts.seed ?? 42;
    this.model = new SimModel(this.clock, new Rng(seed));
    this.faultRng = new Rng(seed ^ 0x5bd1e995);
    this.compat = { includePaymentMethods: true, legacyPaymentMethodFields: false, ...opts.compat };
    this.webhooks = new WebhookSender({
      clock: this.clock,
      rng: new Rng(seed ^ 0x27d4eb2f),
      retryScale: opts.webhookRetryScale,
      timeoutMs: opts.webhookTimeoutMs,
      log: opts.log,
    });
    this.model.onEvent((e) => this.webhooks.dispatch(e));
    const ctx: GreenfieldContext = {
      model: this.model,
      keys: this.keys,
      webhooks: this.webhooks,
      compat: this.compat,
      baseUrl: () => this.baseUrl,
    };
    registerGreenfieldRoutes(this.router, ctx);
    this.rates = new SimStoreRates(this.model, this.clock);
    registerStoreRatesRoute(this.router, this.keys, this.model, this.rates);
  }

  /** Adds routes from another module (e.g. Crowdfund apps) without touching this file. */
  addRoutes(install: RouteInstaller): void {
    install(this.router, this);
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const addr = server.address() as AddressInfo;
    this.baseUrl = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
    return this.baseUrl;
  }

  get url(): string {
    return this.baseUrl;
  }

  async close(): Promise<void> {
    this.webhooks.close();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  // ---- setup --------------------------------------------------------------------------------

  addStore(input: AddStoreInput = {}): SimStore {
    return this.model.addStore(input);
  }

  /** Registers an API key (generated when omitted) with permissions such as `btcpay.store.canviewinvoices[:storeId]`. */
  addApiKey(permissions: string[] = [PERM.unrestricted], key?: string): string {
    const k = key ?? this.model.rng.hex(20);
    this.keys.add(k, permissions);
    return k;
  }

  createWebhook(storeId: string, input: { url: string; secret?: string; automaticRedelivery?: boolean }): SimWebhook {
    this.model.store(storeId);
    return this.webhooks.add(storeId, input);
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  createInvoice(storeId: string, input: CreateInvoiceInput): SimInvoice {
    return this.model.createInvoice(storeId, input);
  }

  pay(invoiceId: string, input?: PayInput): SimPayment {
    return this.model.pay(invoiceId, input);
  }

  confirm(invoiceId: string, at?: number): void {
    this.model.confirm(invoiceId, at);
  }

  /** New → Processing → Settled in one step (a full on-chain payment, confirmed). */
  settle(invoiceId: string, at?: number): void {
    const inv = this.model.invoice(invoiceId);
    if (inv.status === 'New') this.model.pay(invoiceId, { at });
    this.model.confirm(invoiceId, at);
  }

  invalidatePayment(invoiceId: string, paymentId: string, at?: number): void {
    this.model.invalidatePayment(invoiceId, paymentId, at);
  }

  expire(invoiceId: string, at?: number): void {
    this.model.expire(invoiceId, at);
  }

  markSettled(invoiceId: string, at?: number): void {
    this.model.markSettled(invoiceId, at);
  }

  markInvalid(invoiceId: string, at?: number): void {
    this.model.markInvalid(invoiceId, at);
  }

  archive(invoiceId: string, archived = true): void {
    this.model.archive(invoiceId, archived);
  }

  /** Moves a ManualClock forward and applies what time does (expiries, end of monitoring). */
  advance(seconds: number): void {
    if (!(this.clock instanceof ManualClock)) throw new Error('simulator: advance() needs a ManualClock');
    this.clock.advance(seconds);
    this.model.tick();
  }

  tick(): void {
    this.model.tick();
  }

  groundTruth(storeId: string): GroundTruth {
    return this.model.groundTruth(storeId);
  }

  // ---- faults -------------------------------------------------------------------------------

  injectFault(fault: ForcedFault): void {
    this.forced.push({ ...fault, times: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.forced.length = 0;
    Object.assign(this.faults, { rate429: 0, rate5xx: 0, latencyMs: 0, retryAfter: undefined });
  }

  // ---- request handling ---------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://sim');
      const method = (req.method ?? 'GET').toUpperCase();
      const name = `${method} ${url.pathname}`;
      this.requestCounts.set(name, (this.requestCounts.get(name) ?? 0) + 1);
      this.onRequest?.({ method, path: url.pathname, query: url.searchParams });
      const raw = await readBody(req);

      if (this.faults.latencyMs > 0) await delay(this.faults.latencyMs);
      const forced = this.takeForced(url.pathname);
      if (forced) {
        if (forced.delayMs) await delay(forced.delayMs);
        const headers: Record<string, string> = {};
        const retryAfter = forced.retryAfter ?? (forced.status === 429 ? this.faults.retryAfter : undefined);
        if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
        send(res, forced.status, { code: 'simulated-fault', message: `simulated HTTP ${forced.status}` }, headers);
        return;
      }
      if (url.pathname.startsWith('/api/')) {
        if (this.faults.rate429 > 0 && this.faultRng.chance(this.faults.rate429)) {
          send(res, 429, { code: 'rate-limited', message: 'simulated rate limit' }, this.faults.retryAfter ? { 'retry-after': this.faults.retryAfter } : {});
          return;
        }
        if (this.faults.rate5xx > 0 && this.faultRng.chance(this.faults.rate5xx)) {
          send(res, this.faultRng.pick([500, 502, 503]), { code: 'generic-error', message: 'simulated server error' });
          return;
        }
      }

      const route = this.router.match(method, url.pathname);
      if (!route) {
        send(res, 404, { code: 'not-found', message: 'Endpoint not found' });
        return;
      }
      let apiKey: string | undefined;
      if (route.auth) {
        const auth = this.keys.authenticate(req.headers.authorization);
        if ('error' in auth) {
          send(res, 401, auth.error);
          return;
        }
        apiKey = auth.key;
      }
      let body: unknown;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          send(res, 422, [{ path: '', message: 'Invalid JSON body' }]);
          return;
        }
      }
      const request: SimRequest = { method, path: url.pathname, params: route.params, query: url.searchParams, headers: req.headers, body, apiKey };
      const out = await route.handler(request);
      const json = out.body === undefined ? undefined : JSON.stringify(out.body);
      await this.beforeRespond?.({ method, path: url.pathname, query: url.searchParams, status: out.status });
      sendText(res, out.status, json, out.headers ?? {});
    } catch (err) {
      this.opts.log?.error({ err }, 'simulator request failed');
      send(res, 500, { code: 'generic-error', message: 'simulator error' });
    }
  }

  private takeForced(path: string): ForcedFault | undefined {
    const i = this.forced.findIndex((f) => !f.path || f.path.test(path));
    if (i === -1) return undefined;
    const f = this.forced[i]!;
    f.times -= 1;
    if (f.times <= 0) this.forced.splice(i, 1);
    return f;
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendText(res, status, body === undefined ? undefined : JSON.stringify(body), headers);
}

function sendText(res: ServerResponse, status: number, json: string | undefined, headers: Record<string, string>): void {
  const text = json ?? '';
  notifyAnswer({ method: res.req.method ?? 'GET', url: res.req.url ?? '/', status, text });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
