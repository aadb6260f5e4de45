// The Greenfield routes the exporter uses, with BTCPay's semantics (FACTS.md d–f): stores, the
// invoice list (newest first, inclusive startDate/endDate, repeatable case-insensitive status with
// legacy aliases, textSearch as a prefix match over search terms, includeArchived default false,
// no take = everything, 422 arrays), invoice get (unknown id → 403), payment methods, webhooks.
import { ceilToSat, formatBtc } from './btc-amounts.js';
import { ApiKeys, PERM, missingPermissionBody } from './api-keys.js';
import { lowerBound, upperBound, type SimInvoice, type SimModel, type SimStatus } from './model.js';
import type { SimRequest, SimResponse, SimRouter } from './router.js';
import type { SimWebhook, WebhookSender } from './webhooks.js';

export interface SimCompat {
  /** BTCPay 2.4+: the list and get honour includePaymentMethods. False behaves like an older server. */
  includePaymentMethods: boolean;
  /** 1.x field names on payment methods (paymentMethod, cryptoCode, networkFee). */
  legacyPaymentMethodFields: boolean;
}

export interface GreenfieldContext {
  model: SimModel;
  keys: ApiKeys;
  webhooks: WebhookSender;
  compat: SimCompat;
  baseUrl(): string;
}

const STATUS_ALIASES: Record<string, SimStatus> = {
  new: 'New',
  processing: 'Processing',
  paid: 'Processing',
  settled: 'Settled',
  complete: 'Settled',
  confirmed: 'Settled',
  expired: 'Expired',
  invalid: 'Invalid',
};

type ValidationError = { path: string; message: string };

const forbidden = (perm: string): SimResponse => ({ status: 403, body: missingPermissionBody(perm) });
const ok = (body: unknown): SimResponse => ({ status: 200, body });

function intParam(q: URLSearchParams, name: string, errors: ValidationError[], unix = false): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v.trim())) {
    errors.push({ path: name, message: unix ? 'Invalid unix timestamp' : `The value '${v}' is not valid for ${name}.` });
    return undefined;
  }
  return Number(v);
}

function boolParam(q: URLSearchParams, name: string, fallback: boolean, errors: ValidationError[]): boolean {
  const v = q.get(name);
  if (v === null || v === '') return fallback;
  const s = v.trim().toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  errors.push({ path: name, message: `The value '${v}' is not valid for ${name}.` });
  return fallback;
}

export function searchTerms(inv: SimInvoice): string[] {
  const terms = [inv.id, inv.storeId, inv.amount, String(inv.createdTime), ...inv.additionalSearchTerms];
  for (const k of ['orderId', 'buyerEmail']) {
    const v = inv.metadata[k];
    if (typeof v === 'string' && v !== '') terms.push(v);
  }
  for (const m of inv.methods) terms.push(m.destination);
  return terms;
}

function availableMarking(inv: SimInvoice): string[] {
  if (inv.status === 'Settled') return ['Invalid'];
  if (inv.status === 'Invalid') return ['Settled'];
  return ['Settled', 'Invalid'];
}

export function paymentMethodsJson(ctx: GreenfieldContext, inv: SimInvoice, onlyAccounted = true): Record<string, unknown>[] {
  const m = ctx.model;
  const totalPaid = ceilToSat(m.accountedMsats(inv));
  return inv.methods.map((pm) => {
    const payments = inv.payments
      .filter((p) => p.methodId === pm.id && (!onlyAccounted || p.status !== 'Invalid'))
      .map((p) => m.paymentJson(p));
    const common = {
      activated: true,
      destination: pm.destination,
      paymentLink: pm.id === 'BTC-CHAIN' ? `bitcoin:${pm.destination}` : `lightning:${pm.destination}`,
      rate: pm.rate,
      paymentMethodPaid: formatBtc(ceilToSat(m.methodPaidMsats(inv, pm.id))),
      totalPaid: formatBtc(totalPaid),
      due: formatBtc(pm.amountMsats - totalPaid),
      amount: formatBtc(pm.amountMsats),
    };
    if (ctx.compat.legacyPaymentMethodFields) {
      return {
        ...common,
        networkFee: formatBtc(pm.feeMsats),
        payments,
        paymentMethod: pm.id === 'BTC-CHAIN' ? 'BTC' : pm.id === 'BTC-LN' ? 'BTC-LightningNetwork' : 'BTC-LNURLPAY',
        cryptoCode: pm.currency,
      };
    }
    return {
      ...common,
      paymentMethodFee: formatBtc(pm.feeMsats),
      payments,
      paymentMethodId: pm.id,
      additionalData: pm.id === 'BTC-CHAIN' ? { keyPath: '0/7', payjoinEnabled: false } : {},
      currency: pm.currency,
    };
  });
}

export function invoiceJson(ctx: GreenfieldContext, inv: SimInvoice, includePaymentMethods: boolean): Record<string, unknown> {
  const base: Record<string, unknown> = {
    id: inv.id,
    storeId: inv.storeId,
    amount: inv.amount,
    paidAmount: ctx.model.paidAmount(inv),
    checkoutLink: `${ctx.baseUrl()}/i/${inv.id}`,
    status: inv.status,
    additionalStatus: inv.additionalStatus,
    monitoringExpiration: inv.monitoringExpiration,
    expirationTime: inv.expirationTime,
    createdTime: inv.createdTime,
    availableStatusesForManualMarking: availableMarking(inv),
    archived: inv.archived,
  };
  // Older servers have no such property; 2.4+ sends [] unless asked.
  if (ctx.compat.includePaymentMethods) base.paymentMethods = includePaymentMethods ? paymentMethodsJson(ctx, inv) : [];
  return {
    ...base,
    type: inv.type,
    currency: inv.currency,
    metadata: inv.metadata,
    checkout: {
      speedPolicy: inv.speedPolicy,
      paymentMethods: inv.methods.map((m) => m.id),
      defaultPaymentMethod: null,
      expirationMinutes: inv.expirationMinutes,
      monitoringMinutes: inv.monitoringMinutes,
      paymentTolerance: 0.0,
      redirectURL: null,
      redirectAutomatically: false,
      defaultLanguage: null,
      lazyPaymentMethods: null,
    },
    receipt: { enabled: true, showQR: true, showPayments: true },
  };
}

function webhookJson(h: SimWebhook, withSecret = false): Record<string, unknown> {
  return {
    id: h.id,
    enabled: h.enabled,
    automaticRedelivery: h.automaticRedelivery,
    url: h.url,
    authorizedEvents: h.authorizedEvents,
    ...(withSecret ? { secret: h.secret } : {}),
  };
}

/** Newest-first list with BTCPay's filters. Fast path (index arithmetic) when only dates filter. */
export function listInvoices(
  ctx: GreenfieldContext,
  storeId: string,
  q: {
    startDate?: number;
    endDate?: number;
    skip?: number;
    take?: number;
    statuses?: Set<SimStatus>;
    textSearch?: string;
    orderIds?: string[];
    includeArchived: boolean;
  },
): SimInvoice[] {
  const list = ctx.model.store(storeId).invoices;
  const lo = q.startDate !== undefined ? lowerBound(list, q.startDate) : 0;
  const hi = q.endDate !== undefined ? upperBound(list, q.endDate) : list.length;
  const skip = Math.max(0, q.skip ?? 0);
  const take = q.take ?? Number.POSITIVE_INFINITY;
  const out: SimInvoice[] = [];
  const filtered = q.statuses !== undefined || q.textSearch !== undefined || (q.orderIds?.length ?? 0) > 0 || !q.includeArchived;
  if (!filtered) {
    for (let i = hi - 1 - skip; i >= lo && out.length < take; i--) out.push(list[i]!);
    return out;
  }
  let skipped = 0;
  for (let i = hi - 1; i >= lo && out.length < take; i--) {
    const inv = list[i]!;
    if (!q.includeArchived && inv.archived) continue;
    if (q.statuses && !q.statuses.has(inv.status)) continue;
    if (q.orderIds && q.orderIds.length > 0 && !q.orderIds.includes(String(inv.metadata.orderId ?? ''))) continue;
    if (q.textSearch !== undefined && !searchTerms(inv).some((t) => t.startsWith(q.textSearch!))) continue;
    if (skipped < skip) {
      skipped++;
      continue;
    }
    out.push(inv);
  }
  return out;
}

export function registerGreenfieldRoutes(router: SimRouter, ctx: GreenfieldContext): void {
  const { model, keys, webhooks } = ctx;
  const key = (req: SimRequest) => req.apiKey!;

  /** The invoice if the key may view it; BTCPay cannot tell "unknown" from "forbidden" here. */
  const visibleInvoice = (req: SimRequest, storeId?: string): SimInvoice | undefined => {
    const inv = model.invoices.get(req.params.invoiceId!);
    if (!inv || (storeId !== undefined && inv.storeId !== storeId) || !keys.can(key(req), PERM.viewInvoices, inv.storeId)) {
      return undefined;
    }
    return inv;
  };

  router.add('GET', '/api/v1/stores', (req) => {
    if (!keys.can(key(req), PERM.viewStoreSettings)) return forbidden(PERM.viewStoreSettings);
    return ok(
      [...model.stores.values()]
        .filter((s) => keys.can(key(req), PERM.viewStoreSettings, s.id))
        .map((s) => ({ id: s.id, name: s.name, website: null, defaultCurrency: s.defaultCurrency, archived: false })),
    );
  });

  router.add('GET', '/api/v1/stores/:storeId', (req) => {
    const s = model.stores.get(req.params.storeId!);
    if (!s || !keys.can(key(req), PERM.viewStoreSettings, s.id)) return forbidden(PERM.viewStoreSettings);
    return ok({ id: s.id, name: s.name, website: null, defaultCurrency: s.defaultCurrency, archived: false });
  });

  router.add('GET', '/api/v1/stores/:storeId/invoices', (req) => {
    const storeId = req.params.storeId!;
    if (!model.stores.has(storeId) || !keys.can(key(req), PERM.viewInvoices, storeId)) return forbidden(PERM.viewInvoices);
    const errors: ValidationError[] = [];
    const q = req.query;
    const startDate = intParam(q, 'startDate', errors, true);
    const endDate = intParam(q, 'endDate', errors, true);
    const skip = intParam(q, 'skip', errors);
    const take = intParam(q, 'take', errors);
    const includeArchived = boolParam(q, 'includeArchived', false, errors);
    const includePaymentMethods = boolParam(q, 'includePaymentMethods', false, errors);
    if (startDate !== undefined && endDate !== undefined && startDate > endDate) {
      errors.push({ path: 'startDate', message: 'startDate should not be above endDate' });
      errors.push({ path: 'endDate', message: 'endDate should not be below startDate' });
    }
    if (errors.length > 0) return { status: 422, body: errors };
    // Unknown status values are dropped; if none remain, no status filter applies.
    const statuses = new Set(q.getAll('status').map((s) => STATUS_ALIASES[s.trim().toLowerCase()]).filter((s): s is SimStatus => s !== undefined));
    const text = q.get('textSearch');
    const invoices = listInvoices(ctx, storeId, {
      startDate,
      endDate,
      skip,
      take,
      statuses: statuses.size > 0 ? statuses : undefined,
      textSearch: text !== null && text !== '' ? text.slice(0, 512) : undefined,
      orderIds: q.getAll('orderId'),
      includeArchived,
    });
    return ok(invoices.map((inv) => invoiceJson(ctx, inv, includePaymentMethods)));
  });

  const getInvoice = (scoped: boolean) => (req: SimRequest) => {
    const inv = visibleInvoice(req, scoped ? req.params.storeId : undefined);
    if (!inv) return forbidden(PERM.viewInvoices);
    const errors: ValidationError[] = [];
    const include = boolParam(req.query, 'includePaymentMethods', false, errors);
    if (errors.length > 0) return { status: 422, body: errors };
    return ok(invoiceJson(ctx, inv, include));
  };
  router.add('GET', '/api/v1/invoices/:invoiceId', getInvoice(false));
  router.add('GET', '/api/v1/stores/:storeId/invoices/:invoiceId', getInvoice(true));

  const getPaymentMethods = (scoped: boolean) => (req: SimRequest) => {
    const inv = visibleInvoice(req, scoped ? req.params.storeId : undefined);
    if (!inv) return forbidden(PERM.viewInvoices);
    const errors: ValidationError[] = [];
    const onlyAccounted = boolParam(req.query, 'onlyAccountedPayments', true, errors);
    if (errors.length > 0) return { status: 422, body: errors };
    return ok(paymentMethodsJson(ctx, inv, onlyAccounted));
  };
  router.add('GET', '/api/v1/invoices/:invoiceId/payment-methods', getPaymentMethods(false));
  router.add('GET', '/api/v1/stores/:storeId/invoices/:invoiceId/payment-methods', getPaymentMethods(true));

  // Webhooks: even reading them needs canmodifywebhooks (there is no read-only permission).
  const storeHook = (req: SimRequest): SimWebhook | undefined => {
    const h = webhooks.get(req.params.webhookId!);
    if (!h || (req.params.storeId !== undefined && h.storeId !== req.params.storeId) || !keys.can(key(req), PERM.modifyWebhooks, h.storeId)) {
      return undefined;
    }
    return h;
  };

  router.add('GET', '/api/v1/stores/:storeId/webhooks', (req) => {
    const storeId = req.params.storeId!;
    if (!model.stores.has(storeId) || !keys.can(key(req), PERM.modifyWebhooks, storeId)) return forbidden(PERM.modifyWebhooks);
    return ok(webhooks.list(storeId).map((h) => webhookJson(h)));
  });

  router.add('POST', '/api/v1/stores/:storeId/webhooks', (req) => {
    const storeId = req.params.storeId!;
    if (!model.stores.has(storeId) || !keys.can(key(req), PERM.modifyWebhooks, storeId)) return forbidden(PERM.modifyWebhooks);
    const b = (req.body ?? {}) as Record<string, unknown>;
    const errors: ValidationError[] = [];
    let url: URL | undefined;
    try {
      url = typeof b.url === 'string' ? new URL(b.url) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) errors.push({ path: 'url', message: 'Invalid url' });
    if (errors.length > 0) return { status: 422, body: errors };
    const events = (b.authorizedEvents ?? {}) as { everything?: unknown; specificEvents?: unknown };
    const hook = webhooks.add(storeId, {
      url: String(b.url),
      secret: typeof b.secret === 'string' ? b.secret : undefined,
      enabled: typeof b.enabled === 'boolean' ? b.enabled : true,
      automaticRedelivery: typeof b.automaticRedelivery === 'boolean' ? b.automaticRedelivery : true,
      authorizedEvents: {
        everything: typeof events.everything === 'boolean' ? events.everything : true,
        specificEvents: Array.isArray(events.specificEvents) ? events.specificEvents.map(String) : [],
      },
    });
    return ok(webhookJson(hook, true));
  });

  for (const prefix of ['/api/v1/webhooks', '/api/v1/stores/:storeId/webhooks']) {
    router.add('GET', `${prefix}/:webhookId`, (req) => {
      const h = storeHook(req);
      return h ? ok(webhookJson(h)) : forbidden(PERM.modifyWebhooks);
    });
    router.add('GET', `${prefix}/:webhookId/deliveries`, (req) => {
      const h = storeHook(req);
      if (!h) return forbidden(PERM.modifyWebhooks);
      const errors: ValidationError[] = [];
      const count = intParam(req.query, 'count', errors);
      if (errors.length > 0) return { status: 422, body: errors };
      const list = count === undefined ? h.deliveries : h.deliveries.slice(0, Math.max(0, count));
      return ok(
        list.map((d) => ({ id: d.id, timestamp: d.timestamp, deliveryTime: d.deliveryTime, httpCode: d.httpCode, errorMessage: d.errorMessage, status: d.status })),
      );
    });
  }
}
