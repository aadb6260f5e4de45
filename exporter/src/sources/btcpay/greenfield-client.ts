// A small Greenfield API client over undici. Every response is parsed with zod; every failure
// becomes a SyncError with a bounded reason and a message a person can act on. Transient failures
// (network, timeouts, 408, 429, 5xx) are retried with exponential backoff and full jitter, and a
// Retry-After header is honoured. The API key never appears in an error or a log line.
import { request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { Logger } from '../../log.js';
import { scrubSecrets } from '../../log.js';
import type { SyncErrorReason } from '../../metrics/labels.js';
import { SyncError } from '../sync-error.js';
import { crowdfundAppSchema, quoteTopLevelNumber, type CrowdfundApp } from './crowdfund/settings.js';
import {
  AppBaseDataListSchema,
  GreenfieldErrorSchema,
  GreenfieldValidationErrorSchema,
  InvoiceListSchema,
  InvoiceSchema,
  PaymentMethodListSchema,
  StoreListSchema,
  StoreRateListSchema,
  WebhookCreatedSchema,
  WebhookDeliveryListSchema,
  WebhookListSchema,
  type AppBaseData,
  type Invoice,
  type PaymentMethod,
  type Store,
  type StoreRate,
  type Webhook,
  type WebhookCreated,
  type WebhookDelivery,
} from './greenfield-schemas.js';

export interface GreenfieldClientOptions {
  baseUrl: string;
  apiKey: string;
  /** Per attempt. */
  timeoutMs: number;
  log?: Logger;
  /** Retries after the first attempt for transient failures. */
  retries?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** A Retry-After longer than this is cut to it (a proxy asking for an hour must not stall a run). */
  maxRetryAfterMs?: number;
  /** For tests: a deterministic jitter source in [0, 1). */
  random?: () => number;
  dispatcher?: Dispatcher;
}

export interface ListInvoicesQuery {
  startDate?: number;
  endDate?: number;
  skip?: number;
  take: number;
  status?: string[];
  textSearch?: string;
  includeArchived?: boolean;
  includePaymentMethods?: boolean;
}

export interface CreateWebhookBody {
  url: string;
  secret?: string;
  enabled?: boolean;
  automaticRedelivery?: boolean;
  authorizedEvents?: { everything: boolean; specificEvents?: string[] };
}

type Query = Record<string, string | number | boolean | string[] | undefined>;

/** A failed attempt, before it is known whether it will be retried. */
class AttemptError extends Error {
  constructor(
    readonly reason: SyncErrorReason,
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
    readonly status?: number,
  ) {
    super(message);
  }
}

export function parseRetryAfter(value: string | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

function headerValue(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new SyncError('aborted', 'BTCPay request aborted'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new SyncError('aborted', 'BTCPay request aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class GreenfieldClient {
  private readonly baseUrl: string;
  private readonly retries: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly random: () => number;

  constructor(private readonly opts: GreenfieldClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.retries = opts.retries ?? 4;
    this.minBackoffMs = opts.minBackoffMs ?? 500;
    this.maxBackoffMs = opts.maxBackoffMs ?? 20_000;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 120_000;
    this.random = opts.random ?? Math.random;
  }

  get url(): string {
    return this.baseUrl;
  }

  // ---- invoices -------------------------------------------------------------------------------

  listInvoices(storeId: string, q: ListInvoicesQuery, signal?: AbortSignal): Promise<Invoice[]> {
    // BTCPay answers 422 to startDate > endDate (GreenfieldInvoiceController.GetInvoices). Such a
    // window holds no invoice, so no request is sent whoever built it (e.g. an upcoming crowdfund
    // whose window starts after now).
    if (q.startDate !== undefined && q.endDate !== undefined && q.startDate > q.endDate) return Promise.resolve([]);
    return this.get(`/api/v1/stores/${enc(storeId)}/invoices`, InvoiceListSchema, signal, {
      startDate: q.startDate,
      endDate: q.endDate,
      skip: q.skip,
      take: q.take,
      status: q.status,
      textSearch: q.textSearch,
      includeArchived: q.includeArchived,
      includePaymentMethods: q.includePaymentMethods,
    });
  }

  getInvoice(
    storeId: string,
    invoiceId: string,
    o: { includePaymentMethods?: boolean } = {},
    signal?: AbortSignal,
  ): Promise<Invoice> {
    return this.get(`/api/v1/stores/${enc(storeId)}/invoices/${enc(invoiceId)}`, InvoiceSchema, signal, {
      includePaymentMethods: o.includePaymentMethods,
    });
  }

  getInvoicePaymentMethods(storeId: string, invoiceId: string, signal?: AbortSignal): Promise<PaymentMethod[]> {
    return this.get(
      `/api/v1/stores/${enc(storeId)}/invoices/${enc(invoiceId)}/payment-methods`,
      PaymentMethodListSchema,
      signal,
    );
  }

  // ---- stores and apps ------------------------------------------------------------------------

  listStores(signal?: AbortSignal): Promise<Store[]> {
    return this.get('/api/v1/stores', StoreListSchema, signal);
  }

  /**
   * The store's rates for its default currency pairs (no currencyPair query). Needs
   * btcpay.store.canviewstoresettings; BTCPay fetches them live from its rate provider.
   */
  getStoreRates(storeId: string, signal?: AbortSignal): Promise<StoreRate[]> {
    return this.get(`/api/v1/stores/${enc(storeId)}/rates`, StoreRateListSchema, signal);
  }

  /**
   * A Crowdfund app's settings (any valid key may read them). `targetAmount` is a JSON number of up
   * to 28 digits; its source text is kept so the goal stays exact (no float in between).
   */
  getCrowdfundApp(appId: string, signal?: AbortSignal): Promise<CrowdfundApp> {
    return this.call('GET', `/api/v1/apps/crowdfund/${enc(appId)}`, crowdfundAppSchema, signal, undefined, undefined, (text) =>
      quoteTopLevelNumber(text, 'targetAmount'),
    );
  }

  /** All apps of a store, every type, archived included (needs btcpay.store.canmodifystoresettings). */
  listStoreApps(storeId: string, signal?: AbortSignal): Promise<AppBaseData[]> {
    return this.get(`/api/v1/stores/${enc(storeId)}/apps`, AppBaseDataListSchema, signal);
  }

  // ---- webhooks -------------------------------------------------------------------------------

  listWebhooks(storeId: string, signal?: AbortSignal): Promise<Webhook[]> {
    return this.get(`/api/v1/stores/${enc(storeId)}/webhooks`, WebhookListSchema, signal);
  }

  /** Returns the created webhook with its secret (BTCPay shows the secret only here). */
  createWebhook(storeId: string, body: CreateWebhookBody, signal?: AbortSignal): Promise<WebhookCreated> {
    return this.call('POST', `/api/v1/stores/${enc(storeId)}/webhooks`, WebhookCreatedSchema, signal, undefined, body);
  }

  /**
   * Delivery records, newest first. v2.4 routes them under /api/v1/webhooks/{id}; older servers
   * only under the store, so a 404 on the first falls back to the second.
   */
  async listWebhookDeliveries(
    storeId: string,
    webhookId: string,
    count?: number,
    signal?: AbortSignal,
  ): Promise<WebhookDelivery[]> {
    try {
      return await this.get(`/api/v1/webhooks/${enc(webhookId)}/deliveries`, WebhookDeliveryListSchema, signal, { count });
    } catch (err) {
      if (!(err instanceof SyncError) || err.reason !== 'not_found') throw err;
      return this.get(
        `/api/v1/stores/${enc(storeId)}/webhooks/${enc(webhookId)}/deliveries`,
        WebhookDeliveryListSchema,
        signal,
        { count },
      );
    }
  }

  // ---- transport ------------------------------------------------------------------------------

  private get<S extends z.ZodType>(path: string, schema: S, signal?: AbortSignal, query?: Query): Promise<z.output<S>> {
    return this.call('GET', path, schema, signal, query);
  }

  private async call<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    schema: S,
    signal: AbortSignal | undefined,
    query?: Query,
    body?: unknown,
    /** Rewrites a 2xx body's text before JSON.parse (e.g. to keep a long number exact). */
    rewrite?: (text: string) => string,
  ): Promise<z.output<S>> {
    const url = this.baseUrl + path + queryString(query);
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw new SyncError('aborted', `BTCPay request ${method} ${path} aborted`);
      try {
        const json = await this.attempt(method, path, url, signal, body, rewrite);
        const parsed = schema.safeParse(json);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
          throw new SyncError(
            'bad_response',
            `BTCPay sent an unexpected response to ${method} ${path}: ${where}: ${issue?.message ?? 'invalid'}`,
          );
        }
        return parsed.data;
      } catch (err) {
        if (!(err instanceof AttemptError)) throw err;
        if (!err.retryable || attempt >= this.retries) throw this.finalError(err, method, path, attempt + 1);
        const backoff = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** attempt);
        // Full jitter spreads retries of several stores; Retry-After is a floor the server asked for.
        let delay = Math.round(this.random() * backoff);
        if (err.retryAfterMs !== undefined) delay = Math.max(delay, Math.min(err.retryAfterMs, this.maxRetryAfterMs));
        this.opts.log?.warn(
          { method, path, status: err.status, reason: err.reason, attempt: attempt + 1, retryInMs: delay },
          'BTCPay request failed, retrying',
        );
        await abortableSleep(delay, signal);
      }
    }
  }

  private finalError(err: AttemptError, method: string, path: string, attempts: number): SyncError {
    const tries = err.retryable && attempts > 1 ? ` (gave up after ${attempts} attempts)` : '';
    return new SyncError(err.reason, err.message.replace('{endpoint}', `${method} ${path}`) + tries);
  }

  /** One HTTP exchange. Returns the parsed JSON body of a 2xx; throws AttemptError otherwise. */
  private async attempt(
    method: 'GET' | 'POST',
    path: string,
    url: string,
    signal: AbortSignal | undefined,
    body: unknown,
    rewrite?: (text: string) => string,
  ): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let res: Dispatcher.ResponseData;
    let text: string;
    try {
      res = await request(url, {
        method,
        headers: {
          authorization: `token ${this.opts.apiKey}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: combined,
        ...(this.opts.dispatcher ? { dispatcher: this.opts.dispatcher } : {}),
      });
      text = await res.body.text();
    } catch (err) {
      if (signal?.aborted) throw new SyncError('aborted', `BTCPay request ${method} ${path} aborted`);
      if (timeout.aborted) {
        throw new AttemptError('timeout', `BTCPay did not answer {endpoint} within ${this.opts.timeoutMs} ms`, true);
      }
      const detail = scrubSecrets(errorDetail(err), [this.opts.apiKey]);
      throw new AttemptError('network', `cannot reach BTCPay at ${this.baseUrl} ({endpoint}): ${detail}`, true);
    }

    const status = res.statusCode;
    if (status >= 200 && status < 300) {
      try {
        return text === '' ? null : (JSON.parse(rewrite ? rewrite(text) : text) as unknown);
      } catch {
        throw new SyncError('bad_response', `BTCPay answered ${method} ${path} with a body that is not JSON (HTTP ${status})`);
      }
    }
    throw this.httpError(status, text, headerValue(res.headers['retry-after']));
  }

  private httpError(status: number, text: string, retryAfter: string | undefined): AttemptError {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const err = GreenfieldErrorSchema.safeParse(json);
    const serverMessage = scrubSecrets(err.success ? (err.data.message ?? '') : '', [this.opts.apiKey]).slice(0, 300);
    const said = serverMessage ? `: ${serverMessage}` : '';
    if (status === 401) {
      return new AttemptError(
        'unauthenticated',
        `BTCPay rejected the API key for {endpoint} (HTTP 401${said}). Check BTCPAY_API_KEY: it may be mistyped, revoked, or belong to another BTCPay server.`,
        false,
        undefined,
        status,
      );
    }
    if (status === 403) {
      const perm = err.success ? err.data.missingPermission : undefined;
      return new AttemptError(
        'missing_permission',
        perm
          ? `The BTCPay API key lacks the permission ${perm} needed for {endpoint} (HTTP 403). Create a key with ${perm} for this store, or check that the store id is right.`
          : `BTCPay refused {endpoint} (HTTP 403${said}). The API key cannot access this store or object; check the store id and the key's permissions.`,
        false,
        undefined,
        status,
      );
    }
    if (status === 404) {
      return new AttemptError('not_found', `BTCPay has no such object: {endpoint} (HTTP 404${said})`, false, undefined, status);
    }
    if (status === 422 || status === 400) {
      const list = GreenfieldValidationErrorSchema.safeParse(json);
      const details = list.success
        ? list.data.map((e) => `${e.path ?? '(request)'}: ${e.message ?? 'invalid'}`).join('; ')
        : serverMessage || 'no details';
      return new AttemptError(
        'validation',
        `BTCPay rejected the request {endpoint} (HTTP ${status}): ${scrubSecrets(details, [this.opts.apiKey]).slice(0, 500)}`,
        false,
        undefined,
        status,
      );
    }
    const retryAfterMs = parseRetryAfter(retryAfter);
    if (status === 429) {
      return new AttemptError('rate_limited', `BTCPay (or a proxy in front of it) rate-limited {endpoint} (HTTP 429)`, true, retryAfterMs, status);
    }
    if (status === 408) {
      return new AttemptError('timeout', `BTCPay timed out on {endpoint} (HTTP 408)`, true, retryAfterMs, status);
    }
    if (status >= 500) {
      return new AttemptError('server_error', `BTCPay failed on {endpoint} (HTTP ${status}${said})`, true, retryAfterMs, status);
    }
    return new AttemptError('bad_response', `BTCPay answered {endpoint} with HTTP ${status}${said}`, false, undefined, status);
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function queryString(q: Query | undefined): string {
  if (!q) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, item);
    else params.append(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

function errorDetail(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const cause = (err as { cause?: unknown }).cause;
  const causeCode = cause && typeof cause === 'object' ? (cause as { code?: unknown }).code : undefined;
  return [typeof code === 'string' ? code : typeof causeCode === 'string' ? causeCode : undefined, err.message]
    .filter(Boolean)
    .join(' ');
}
