// Crowdfund apps for the simulator (CROWDFUND.md a–c): apps with their settings and perks, the two
// Greenfield routes the exporter uses with BTCPay's permission rules (`GET /api/v1/apps/crowdfund/
// {appId}`: any valid key, 404 for an unknown or non-crowdfund id; `GET /api/v1/stores/{storeId}/
// apps`: canmodifystoresettings, 403 for an unknown store too), and contributions created the way
// BTCPay's public page creates them. `reference()` is the simulator's own computation of an app's
// progress over its raw data (crowdfund-reference.ts), the figure tests compare the exporter with.
import { Decimal } from '../../money.js';
import { PERM, missingPermissionBody } from './api-keys.js';
import { referenceCrowdfundProgress, type RefInvoice, type RefProgress } from './crowdfund-reference.js';
import { searchTerms } from './greenfield-routes.js';
import type { CreateInvoiceInput, SimInvoice, SimMethodId } from './model.js';
import type { SimRequest, SimResponse } from './router.js';
import type { BtcpaySimulator } from './simulator.js';

export type SimResetEvery = 'Never' | 'Hour' | 'Day' | 'Month' | 'Year';

export interface SimPerk {
  id: string;
  title: string;
  priceType: 'Fixed' | 'Topup' | 'Minimum';
  /** Decimal string in the target currency; null for Topup. */
  price: string | null;
  inventory: number | null;
  disabled: boolean;
  description: string | null;
}

export interface SimCrowdfundApp {
  id: string;
  storeId: string;
  appType: 'Crowdfund';
  appName: string;
  title: string;
  enabled: boolean;
  archived: boolean;
  created: number;
  targetCurrency: string;
  /** Decimal string; null = no target. */
  targetAmount: string | null;
  enforceTargetAmount: boolean;
  startDate: number | null;
  endDate: number | null;
  resetEvery: SimResetEvery;
  resetEveryAmount: number;
  perks: SimPerk[];
  /** "Count all invoices created on the store as part of the goal" (UI only; the API hides it). */
  tagAllInvoices: boolean;
}

/** Any other app type, listed by the store's app list only. */
export interface SimOtherApp {
  id: string;
  storeId: string;
  appType: string;
  appName: string;
  archived: boolean;
  created: number;
}

export type NewCrowdfundApp = Partial<Omit<SimCrowdfundApp, 'storeId' | 'appType' | 'perks'>> & {
  perks?: Array<Partial<SimPerk> & { id: string }>;
};

export interface ContributeInput {
  /** The amount typed by the buyer (raised to a Fixed/Minimum perk's price). */
  amount?: string;
  perk?: string;
  createdTime?: number;
  buyerEmail?: string;
  /** Only for an invoice left from before the target currency changed; the page always uses the target currency. */
  currency?: string;
  methods?: SimMethodId[];
  rate?: string;
  expirationMinutes?: number;
  onchainFeeSats?: number;
  /** Created through the LNURL endpoint instead of the page (orderUrl is the LNURL request). */
  viaLnurl?: boolean;
}

const APP_NOT_FOUND = { code: 'app-not-found', message: 'The app with specified ID was not found' };

export class SimCrowdfund {
  readonly apps = new Map<string, SimCrowdfundApp>();
  readonly otherApps = new Map<string, SimOtherApp>();
  /** BTCPay's internal invoice tags (`APP#<appId>`), invisible through Greenfield. */
  private readonly tags = new Map<string, Set<string>>();

  constructor(private readonly sim: BtcpaySimulator) {
    sim.addRoutes((router) => {
      router.add('GET', '/api/v1/apps/crowdfund/:appId', (req) => this.getApp(req));
      router.add('GET', '/api/v1/stores/:storeId/apps', (req) => this.listApps(req));
    });
  }

  addApp(storeId: string, input: NewCrowdfundApp = {}): SimCrowdfundApp {
    this.sim.model.store(storeId);
    const rng = this.sim.model.rng;
    const id = input.id ?? rng.base58(20);
    const app: SimCrowdfundApp = {
      id,
      storeId,
      appType: 'Crowdfund',
      appName: input.appName ?? `crowdfund-${this.apps.size + 1}`,
      title: input.title ?? input.appName ?? `Crowdfund ${this.apps.size + 1}`,
      enabled: input.enabled ?? true,
      archived: input.archived ?? false,
      created: input.created ?? this.sim.clock.now(),
      targetCurrency: input.targetCurrency ?? this.sim.model.store(storeId).defaultCurrency,
      targetAmount: input.targetAmount === undefined ? '1000' : input.targetAmount,
      enforceTargetAmount: input.enforceTargetAmount ?? false,
      startDate: input.startDate ?? null,
      endDate: input.endDate ?? null,
      resetEvery: input.resetEvery ?? 'Never',
      resetEveryAmount: input.resetEveryAmount ?? 1,
      perks: (input.perks ?? []).map((p) => ({
        title: p.id,
        priceType: 'Fixed',
        price: null,
        inventory: null,
        disabled: false,
        description: null,
        ...p,
      })),
      tagAllInvoices: input.tagAllInvoices ?? false,
    };
    this.apps.set(id, app);
    return app;
  }

  /** A non-crowdfund app (e.g. PointOfSale): listed by the store, 404 on the crowdfund route. */
  addOtherApp(storeId: string, appType = 'PointOfSale', appName = 'Point of sale'): SimOtherApp {
    const app = { id: this.sim.model.rng.base58(20), storeId, appType, appName, archived: false, created: this.sim.clock.now() };
    this.otherApps.set(app.id, app);
    return app;
  }

  deleteApp(appId: string): void {
    this.apps.delete(appId);
    this.otherApps.delete(appId);
  }

  app(appId: string): SimCrowdfundApp {
    const a = this.apps.get(appId);
    if (!a) throw new Error(`simulator: unknown crowdfund app ${appId}`);
    return a;
  }

  /**
   * A contribution as BTCPay's public page creates it (CfCtl.ContributeToCrowdfund): price in the
   * target currency, raised to a Fixed/Minimum perk's price, metadata.itemCode = perk id or '',
   * itemDesc, orderId, orderUrl = the app's page, search term `crowdfund-app_<appId>`, tag APP#.
   */
  contribute(appId: string, input: ContributeInput = {}): SimInvoice {
    const app = this.app(appId);
    const perk = input.perk === undefined ? undefined : app.perks.find((p) => p.id === input.perk);
    if (input.perk !== undefined && !perk) throw new Error(`simulator: app ${appId} has no perk ${input.perk}`);
    let amount = input.amount ?? perk?.price ?? '10';
    if (perk?.price && perk.priceType === 'Fixed') amount = perk.price;
    if (perk?.price && perk.priceType === 'Minimum' && new Decimal(amount).lt(perk.price)) amount = perk.price;
    const rng = this.sim.model.rng;
    const base = this.sim.url;
    const metadata: Record<string, unknown> = {
      orderId: rng.base58(12),
      itemCode: perk?.id ?? '',
      itemDesc: perk?.title ?? app.title,
      orderUrl: input.viaLnurl ? `${base}/BTC/UILNURL/pay/app/${app.id}/${perk?.id ?? ''}` : `${base}/apps/${app.id}/crowdfund`,
    };
    if (input.buyerEmail) metadata.buyerEmail = input.buyerEmail;
    const create: CreateInvoiceInput = {
      amount,
      currency: input.currency ?? app.targetCurrency,
      createdTime: input.createdTime,
      metadata,
      additionalSearchTerms: [`crowdfund-app_${app.id}`],
      methods: input.methods,
      rate: input.rate,
      expirationMinutes: input.expirationMinutes,
      onchainFeeSats: input.onchainFeeSats,
    };
    const inv = this.sim.createInvoice(app.storeId, create);
    this.tag(inv.id, `APP#${app.id}`);
    if (perk && perk.inventory !== null) perk.inventory -= 1;
    return inv;
  }

  /** An invoice created through the Greenfield API (no app tag), e.g. one whose order id starts with a search term. */
  apiInvoice(storeId: string, input: CreateInvoiceInput): SimInvoice {
    return this.sim.createInvoice(storeId, input);
  }

  /** The simulator's own figures for the app (BTCPay's rules over its raw data, tags included). */
  reference(appId: string, now: number = this.sim.clock.now()): RefProgress {
    const app = this.app(appId);
    const store = this.sim.model.store(app.storeId);
    const byId = new Map(store.invoices.map((inv) => [inv.id, inv]));
    return referenceCrowdfundProgress(
      {
        id: app.id,
        targetCurrency: app.targetCurrency,
        targetAmount: app.targetAmount,
        enforceTargetAmount: app.enforceTargetAmount,
        startDate: app.startDate,
        endDate: app.endDate,
        resetEvery: app.resetEvery,
        resetEveryAmount: app.resetEveryAmount,
        perks: app.perks.map((p) => ({ id: p.id })),
      },
      store.invoices.map((inv) => this.refInvoice(inv)),
      {
        now,
        countAllStoreInvoices: app.tagAllInvoices,
        searchTerms: (inv) => searchTerms(byId.get(inv.id)!),
        internalTags: (inv) => [...(this.tags.get(inv.id) ?? [])],
      },
    );
  }

  // ---- routes -------------------------------------------------------------------------------

  private getApp(req: SimRequest): SimResponse {
    // Authentication only (since v2.0.5): any valid key, whatever its permissions or store.
    const app = this.apps.get(req.params.appId!);
    if (!app) return { status: 404, body: APP_NOT_FOUND };
    return { status: 200, body: crowdfundAppJson(app) };
  }

  private listApps(req: SimRequest): SimResponse {
    const storeId = req.params.storeId!;
    if (!this.sim.model.stores.has(storeId) || !this.sim.keys.can(req.apiKey!, PERM.modifyStoreSettings, storeId)) {
      return { status: 403, body: missingPermissionBody(PERM.modifyStoreSettings) };
    }
    const all = [...this.apps.values(), ...this.otherApps.values()]
      .filter((a) => a.storeId === storeId)
      .sort((a, b) => a.created - b.created);
    return {
      status: 200,
      body: all.map((a) => ({ id: a.id, appType: a.appType, appName: a.appName, storeId: a.storeId, archived: a.archived, created: a.created })),
    };
  }

  // ---- internals ----------------------------------------------------------------------------

  private tag(invoiceId: string, tag: string): void {
    const set = this.tags.get(invoiceId) ?? new Set<string>();
    set.add(tag);
    this.tags.set(invoiceId, set);
  }

  /**
   * The invoice as the reference computation sees it; with `asOf`, as it stood then (the history's
   * view, docs/history.md): payments received by then, and its current status only from its raise
   * time (latest accounted payment, else creation) on, New before.
   */
  refInvoice(inv: SimInvoice, asOf = Number.POSITIVE_INFINITY): RefInvoice {
    const m = this.sim.model;
    const accounted = inv.payments.filter((p) => p.status !== 'Invalid');
    const raisedAt = accounted.length > 0 ? Math.max(...accounted.map((p) => p.receivedDate)) : inv.createdTime;
    const current = asOf >= raisedAt;
    return {
      id: inv.id,
      status: current ? inv.status : 'New',
      additionalStatus: current ? inv.additionalStatus : 'None',
      currency: inv.currency,
      amount: inv.amount,
      createdTime: inv.createdTime,
      expirationTime: inv.expirationTime,
      metadata: inv.metadata,
      additionalSearchTerms: inv.additionalSearchTerms,
      paymentMethods: inv.methods.map((pm) => ({
        paymentMethodId: pm.id,
        currency: pm.currency,
        rate: pm.rate,
        payments: inv.payments
          .filter((p) => p.methodId === pm.id && p.receivedDate <= asOf)
          .map((p) => {
            const j = m.paymentJson(p) as { value: string; fee: string };
            return { value: j.value, fee: j.fee, status: p.status, receivedDate: p.receivedDate };
          }),
      })),
    };
  }
}

/** CrowdfundAppData as BTCPay serialises it (CROWDFUND.md b, g): nulls written, targetAmount a number. */
export function crowdfundAppJson(app: SimCrowdfundApp): Record<string, unknown> {
  return {
    perks: app.perks.map((p) => ({
      id: p.id,
      title: p.title,
      disabled: p.disabled,
      description: p.description,
      categories: null,
      image: null,
      priceType: p.priceType,
      price: p.price,
      buyButtonText: null,
      inventory: p.inventory,
      taxRate: null,
    })),
    title: app.title,
    enabled: app.enabled,
    enforceTargetAmount: app.enforceTargetAmount,
    startDate: app.startDate,
    targetCurrency: app.targetCurrency,
    description: `<p>${app.title}</p>`,
    endDate: app.endDate,
    // A stored 0 is served as null ("no target").
    targetAmount: app.targetAmount === null || new Decimal(app.targetAmount).isZero() ? null : Number(app.targetAmount),
    mainImageUrl: null,
    notificationUrl: null,
    tagline: null,
    disqusEnabled: false,
    disqusShortname: null,
    soundsEnabled: false,
    animationsEnabled: false,
    resetEveryAmount: app.resetEveryAmount,
    resetEvery: app.resetEvery,
    displayPerksValue: false,
    displayPerksRanking: false,
    sortPerksByPopularity: false,
    sounds: [],
    animationColors: ['#FF6138', '#FFBE53', '#2980B9', '#282741'],
    htmlLang: null,
    htmlMetaTags: null,
    formId: null,
    id: app.id,
    appType: app.appType,
    appName: app.appName,
    storeId: app.storeId,
    archived: app.archived,
    created: app.created,
  };
}
