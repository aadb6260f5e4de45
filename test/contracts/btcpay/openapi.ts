// BTCPay Server's own API description (its swagger fragments, swagger/ beside this file, see
// SOURCE.md), merged the way BTCPay merges them at run time, with its known defects fixed in one
// documented step (NORMALISATIONS), and a checker built on it with openapi-backend: simulator
// answers against the operation and status they belong to, webhook bodies against `x-webhooks`.
import { readFileSync, readdirSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { OpenAPIBackend, ValidationContext, type Document } from 'openapi-backend';

const SWAGGER_DIR = new URL('./swagger/', import.meta.url);
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** BTCPay's DefaultSwaggerProvider: every swagger.template*.json deep-merged, key by key. */
export function mergedSwagger(): Json {
  const files = readdirSync(SWAGGER_DIR)
    .filter((f) => /^swagger\.template(\..+)?\.json$/.test(f))
    .sort((a, b) => (a === 'swagger.template.json' ? -1 : b === 'swagger.template.json' ? 1 : a.localeCompare(b)));
  const merge = (into: Json, from: Json): Json => {
    for (const [k, v] of Object.entries(from)) {
      const cur = into[k];
      into[k] = isObject(cur) && isObject(v) ? merge(cur, v) : structuredClone(v);
    }
    return into;
  };
  let doc: Json = {};
  for (const f of files) doc = merge(doc, JSON.parse(readFileSync(new URL(f, SWAGGER_DIR), 'utf8')) as Json);
  return doc;
}

export interface Normalisation {
  name: string;
  reason: string;
  /** Changes the document in place; returns how many places it changed (0 means the defect is gone). */
  apply(doc: Json): number;
}

/** Visits every object of the tree with the container holding it and its key there. */
function walk(node: unknown, visit: (o: Json, container: Json | unknown[] | undefined, key: string | number) => void, container?: Json | unknown[], key: string | number = ''): void {
  if (Array.isArray(node)) node.forEach((n, i) => walk(n, visit, node, i));
  else if (isObject(node)) {
    visit(node, container, key);
    for (const [k, v] of Object.entries(node)) walk(v, visit, node, k);
  }
}

const schemas = (doc: Json) => ((doc.components as Json).schemas as Record<string, Json>);
const refName = (ref: string) => ref.replace('#/components/schemas/', '');

/** Refs left dangling by the fragments copied (SOURCE.md lists them): defined in fragments not copied. */
const NOT_COPIED: Record<string, string> = {
  '#/components/parameters/PaymentMethodId': 'swagger.template.stores-payment-methods.json',
  '#/components/schemas/PullPaymentData': 'swagger.template.pull-payments.json',
  '#/components/schemas/PayoutState': 'swagger.template.pull-payments.json',
  '#/components/schemas/ApplicationUserData': 'swagger.template.users.json',
  '#/components/schemas/FileData': 'swagger.template.files.json',
};

/** Schemas whose every property BTCPay writes, with where FACTS.md lists their fields. */
export const REQUIRED_FROM_FACTS: Record<string, string> = {
  InvoiceData: 'FACTS.md d, invoice model and example invoice',
  InvoicePaymentMethodDataModel: 'FACTS.md d, "Where the BTC amount lives"',
  Payment: 'FACTS.md b, payment object of InvoiceReceivedPayment',
  WebhookEvent: 'FACTS.md b, the fields every event body has',
  WebhookInvoiceEvent: 'FACTS.md b',
  WebhookInvoiceReceivedPaymentEvent: 'FACTS.md b',
  WebhookInvoiceSettledEvent: 'FACTS.md b',
  WebhookInvoiceExpiredEvent: 'FACTS.md b',
  WebhookInvoiceInvalidEvent: 'FACTS.md b',
  WebhookInvoiceProcessingEvent: 'FACTS.md b',
  StoreRateResult: 'FACTS.md g',
};

/** Properties of those schemas that BTCPay does not always write, with the reason. */
export const OPTIONAL_PROPERTIES: Record<string, Record<string, string>> = {
  InvoiceData: { paymentMethods: 'absent on servers before 2.4.0, which have no includePaymentMethods (FACTS.md d: treat as optional)' },
};

export const NORMALISATIONS: Normalisation[] = [
  {
    name: 'stub refs into fragments not copied',
    reason:
      'The copied fragments refer to a path parameter and three schemas of fragments outside the exporter (payment-method activation, refunds, payouts, store users, app images); a ref that resolves nowhere stops the document from loading, so each gets a permissive stand-in. None is on a route the simulator serves.',
    apply(doc) {
      const dangling = new Set<string>();
      walk(doc, (o) => {
        if (typeof o.$ref !== 'string') return;
        const path = o.$ref.replace(/^#\//, '').split('/');
        let at: unknown = doc;
        for (const p of path) at = isObject(at) ? at[p] : undefined;
        if (at === undefined) dangling.add(o.$ref);
      });
      const unexpected = [...dangling].filter((r) => !(r in NOT_COPIED));
      if (unexpected.length > 0) throw new Error(`BTCPay swagger: refs that resolve nowhere: ${unexpected.join(', ')}`);
      for (const ref of dangling) {
        const [, , section, name] = ref.split('/') as [string, string, string, string];
        const comps = doc.components as Record<string, Json>;
        comps[section] ??= {};
        comps[section]![name] =
          section === 'parameters'
            ? { name: 'paymentMethodId', in: 'path', required: true, schema: { type: 'string' }, description: `stand-in: defined in ${NOT_COPIED[ref]}` }
            : { description: `stand-in: defined in ${NOT_COPIED[ref]}` };
      }
      return dangling.size;
    },
  },
  {
    name: 'additionalProperties: false under allOf',
    reason:
      'BTCPay writes `additionalProperties: false` on schemas that are combined with others through `allOf` (InvoiceData, WebhookEvent, StoreBaseData, WebhookDataBase, ...). JSON Schema applies it to each subschema alone, so every property of the other branch counts as additional and no real invoice, store or webhook could pass. The intent is the union of the branches: the keyword is dropped from every allOf branch and from every schema used as one.',
    apply(doc) {
      const all = schemas(doc);
      let n = 0;
      const drop = (s: Json | undefined) => {
        if (s && s.additionalProperties === false) {
          delete s.additionalProperties;
          n++;
        }
      };
      walk(doc, (o) => {
        if (!Array.isArray(o.allOf)) return;
        for (const branch of o.allOf as Json[]) {
          drop(branch);
          if (typeof branch.$ref === 'string') drop(all[refName(branch.$ref)]);
        }
      });
      return n;
    },
  },
  {
    name: 'nullable beside allOf/$ref',
    reason:
      'OpenAPI 3.0 `nullable: true` only widens the `type` of its own schema object; the `allOf: [{$ref}]` beside it still rejects null. BTCPay writes it that way for values it does send as null (a crowdfund without start or end date, an invoice without checkout or receipt options), so such properties become `anyOf: [null, the schema]`.',
    apply(doc) {
      let n = 0;
      walk(doc, (o, container, key) => {
        if (o.nullable !== true || !(Array.isArray(o.allOf) || typeof o.$ref === 'string') || !container) return;
        const { nullable: _nullable, description, ...rest } = o;
        const replacement: Json = { anyOf: [{ type: 'null' }, rest] };
        if (description !== undefined) replacement.description = description;
        (container as Record<string | number, unknown>)[key] = replacement;
        n++;
      });
      return n;
    },
  },
  {
    name: 'CrowdfundAppData.perks is an array',
    reason:
      'The swagger types `perks` as an object, while its own example, the C# model (List<AppItem>) and every BTCPay answer (CROWDFUND.md b) give an array of perks.',
    apply(doc) {
      const appData = schemas(doc).CrowdfundAppData;
      const own = (appData?.allOf as Json[] | undefined)?.find((b) => isObject(b.properties) && 'perks' in (b.properties as Json));
      const perks = (own?.properties as Json | undefined)?.perks as Json | undefined;
      if (!perks || perks.type !== 'object' || !Array.isArray(perks.example)) return 0;
      perks.type = 'array';
      perks.items = { type: 'object' };
      return 1;
    },
  },
  {
    name: 'WebhookDeliveryData.errorMessage may be null',
    reason:
      'A successful delivery has no error message: BTCPay writes `errorMessage: null` (and `httpCode: null` when no HTTP answer came; FACTS.md c, "Delivery records"), while the swagger types it as a plain string.',
    apply(doc) {
      const props = schemas(doc).WebhookDeliveryData?.properties as Record<string, Json> | undefined;
      let n = 0;
      for (const p of ['errorMessage', 'httpCode']) {
        if (props?.[p] && props[p]!.nullable !== true) {
          props[p]!.nullable = true;
          n++;
        }
      }
      return n;
    },
  },
  {
    name: 'StoreRateResult.rate may be null',
    reason:
      'The rate of a pair whose fetch failed is null, with the reason in `errors` (FACTS.md g, GreenfieldStoreRatesController); the swagger types it as a plain string.',
    apply(doc) {
      const rate = (schemas(doc).StoreRateResult?.properties as Json | undefined)?.rate as Json | undefined;
      if (!rate || rate.nullable === true) return 0;
      rate.nullable = true;
      return 1;
    },
  },
  {
    name: 'properties BTCPay always writes are required',
    reason:
      'BTCPay serialises these models with Newtonsoft defaults, which write every property, null ones included (FACTS.md d), so a property missing from an answer is a bug; the swagger marks almost nothing `required`. Every property of the schemas in REQUIRED_FROM_FACTS becomes required (their fields are listed in FACTS.md), except those in OPTIONAL_PROPERTIES. Other schemas (stores, apps, webhooks) keep the swagger\'s optional properties: some of their C# properties are written only when not null.',
    apply(doc) {
      const all = schemas(doc);
      let n = 0;
      const requireAll = (o: Json, owner: string) => {
        if (!isObject(o.properties)) return;
        const optional = OPTIONAL_PROPERTIES[owner] ?? {};
        const required = Object.keys(o.properties).filter((p) => !(p in optional));
        const before = new Set(Array.isArray(o.required) ? (o.required as string[]) : []);
        if (required.every((p) => before.has(p))) return;
        o.required = [...new Set([...before, ...required])];
        n++;
      };
      for (const name of Object.keys(REQUIRED_FROM_FACTS)) {
        const s = all[name];
        if (!s) throw new Error(`BTCPay swagger: no schema ${name}`);
        requireAll(s, name);
        for (const branch of (s.allOf as Json[] | undefined) ?? []) requireAll(branch, name);
      }
      return n;
    },
  },
  {
    name: 'error answers of every Greenfield route',
    reason:
      'Every authenticated route answers 401 `unauthenticated`, 403 `missing-permission` (also for an unknown store, invoice or webhook id) with a `{code, message}` body, and 422 with an array of `{path, message}` for a bad parameter (FACTS.md f, "Error bodies"); the swagger lists them on some routes only, some without a body. Each operation gets them, with those bodies, where it lacks them.',
    apply(doc) {
      let n = 0;
      const problem = { $ref: '#/components/schemas/ProblemDetails' };
      const validation = { $ref: '#/components/schemas/ValidationProblemDetails' };
      for (const item of Object.values(doc.paths as Record<string, Json>)) {
        for (const op of Object.values(item)) {
          if (!isObject(op) || !isObject(op.responses)) continue;
          const responses = op.responses as Record<string, Json>;
          for (const [status, schema, what] of [
            ['401', problem, 'Missing or unknown credentials'],
            ['403', problem, 'Missing permission, or a store/invoice/webhook the key cannot see'],
            ['422', validation, 'Bad parameters'],
          ] as const) {
            const existing = responses[status];
            if (existing?.content) continue;
            responses[status] = { description: existing?.description ?? what, content: { 'application/json': { schema: { ...schema } } } };
            n++;
          }
        }
      }
      return n;
    },
  },
  {
    name: 'store-scoped routes',
    reason:
      'BTCPay routes the invoice and webhook endpoints under `/api/v1/stores/{storeId}/...` as well as without the store (FACTS.md "Swagger vs code"), but documents only the storeless form; the store-scoped copies are added with the StoreId path parameter.',
    apply(doc) {
      const paths = doc.paths as Record<string, Json>;
      let n = 0;
      for (const [path, item] of Object.entries(paths)) {
        const m = /^\/api\/v1\/(invoices|webhooks)\/(.+)$/.exec(path);
        if (!m) continue;
        const scoped = `/api/v1/stores/{storeId}/${m[1]}/${m[2]}`;
        if (paths[scoped]) continue;
        const copy = structuredClone(item);
        for (const op of Object.values(copy)) {
          if (!isObject(op) || typeof op.operationId !== 'string') continue;
          op.operationId = `${op.operationId}_StoreScoped`;
          op.parameters = [{ $ref: '#/components/parameters/StoreId' }, ...((op.parameters as unknown[]) ?? [])];
        }
        if (Array.isArray(copy.parameters)) copy.parameters = [{ $ref: '#/components/parameters/StoreId' }, ...copy.parameters];
        paths[scoped] = copy;
        n++;
      }
      return n;
    },
  },
];

/** The merged document with every normalisation applied, and how many places each changed. */
export function normalisedSwagger(): { doc: Json; changes: Map<string, number> } {
  const doc = mergedSwagger();
  const changes = new Map<string, number>();
  for (const n of NORMALISATIONS) changes.set(n.name, n.apply(doc));
  return { doc, changes };
}

/** Status codes a simulator may answer that BTCPay's description does not list, with the reason. */
export const UNDOCUMENTED_STATUS_ALLOWED: Record<number, string> = {
  429: 'rate limiting by a proxy in front of BTCPay (FACTS.md f), simulated by fault injection',
  500: 'server faults, simulated by fault injection',
  502: 'a proxy in front of BTCPay, simulated by fault injection',
  503: 'a proxy in front of BTCPay, simulated by fault injection',
  504: 'a proxy in front of BTCPay, simulated by fault injection',
};

/** The simulator's answer for a route it does not serve (e.g. Crowdfund apps when none were set up). */
const NOT_SERVED = /^\{"code":"not-found","message":"Endpoint not found"\}$/;
/** A fault a test forced on purpose (`injectFault`): any status, to play a broken server or proxy. */
const INJECTED = /^\{"code":"simulated-fault",/;

export interface AnswerToCheck {
  method: string;
  /** Path with query string. */
  url: string;
  status: number;
  /** JSON text ('' for no body). */
  text: string;
}

const formatErrors = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`);

/** Decimal strings as BTCPay writes them (invariant culture, never exponent notation). */
const DECIMAL = /^-?\d+(\.\d+)?$/;

export class BtcpayContract {
  private constructor(
    private readonly api: OpenAPIBackend,
    private readonly webhookValidators: Map<string, ValidateFunction>,
    private readonly genericInvoiceEvent: ValidateFunction,
  ) {}

  /** `validateDocument` also checks the merged document against the OpenAPI 3.0 schema (a second or two). */
  static async load(opts: { validateDocument?: boolean } = {}): Promise<BtcpayContract> {
    const { doc } = normalisedSwagger();
    const api = new OpenAPIBackend({
      definition: doc as unknown as Document,
      strict: true,
      quick: true, // validators compile when first used
      validate: true,
      ajvOpts: { allErrors: true, logger: false },
      customizeAjv: (a) => {
        a.addFormat('decimal', DECIMAL);
        for (const f of ['seconds', 'days', 'minutes']) a.addFormat(f, () => true); // units, not formats
        a.addFormat('url', (s: string) => URL.canParse(s));
        return a;
      },
    });
    if (opts.validateDocument) {
      api.document = structuredClone(doc) as unknown as Document;
      api.validateDefinition(); // the OpenAPI 3.0 schema; throws with every error found
    }
    await api.init();
    // Webhook bodies: the request body schema of each `x-webhooks` event, from the dereferenced document.
    const compiler = api.validator.getAjv(ValidationContext.Response);
    const hooks = (api.definition as unknown as Json)['x-webhooks'] as Record<string, { post: Json }>;
    const validators = new Map<string, ValidateFunction>();
    for (const [type, item] of Object.entries(hooks)) {
      const schema = (((item.post.requestBody as Json).content as Json)['application/json'] as Json).schema as Json;
      validators.set(type, compiler.compile(schema));
    }
    const generic = compiler.compile(schemas(api.definition as unknown as Json).WebhookInvoiceEvent!);
    return new BtcpayContract(api, validators, generic);
  }

  /** What is wrong with one simulator answer against BTCPay's description (empty when nothing). */
  checkAnswer(a: AnswerToCheck): string[] {
    const u = new URL(a.url, 'http://sim');
    const where = `${a.method} ${u.pathname} → ${a.status}`;
    const operation = this.api.router.matchOperation({ method: a.method, path: u.pathname, headers: {}, query: u.search.slice(1) });
    if (a.status === 404 && NOT_SERVED.test(a.text)) return [];
    if (INJECTED.test(a.text)) return [];
    if (!operation) {
      if (a.status in UNDOCUMENTED_STATUS_ALLOWED) return [];
      return [`${where}: the route is not in BTCPay's API description`];
    }
    const responses = (operation.responses ?? {}) as Record<string, Json>;
    const documented = responses[String(a.status)] ?? responses[`${String(a.status)[0]}XX`] ?? responses.default;
    if (!documented) {
      if (a.status in UNDOCUMENTED_STATUS_ALLOWED) return [];
      return [`${where}: status ${a.status} is not documented for ${operation.operationId} (documented: ${Object.keys(responses).join(', ')})`];
    }
    const schema = ((documented.content as Json | undefined)?.['application/json'] as Json | undefined)?.schema;
    if (schema === undefined) return [];
    let body: unknown;
    try {
      body = JSON.parse(a.text);
    } catch {
      return [`${where}: the body is not JSON: ${a.text.slice(0, 80)}`];
    }
    const result = this.api.validator.validateResponse(body, operation, a.status);
    return result.valid ? [] : formatErrors(result.errors).map((e) => `${where} (${operation.operationId}): ${e}`);
  }

  /** What is wrong with one webhook body the simulator posted (empty when nothing). */
  checkWebhook(body: string, signature: string): string[] {
    const out: string[] = [];
    if (!/^sha256=[0-9a-f]{64}$/.test(signature)) out.push(`BTCPay-Sig is not sha256=<hex>: ${signature}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return [...out, `webhook body is not JSON: ${body.slice(0, 80)}`];
    }
    const type = isObject(parsed) && typeof parsed.type === 'string' ? parsed.type : '(no type)';
    // Events BTCPay sends beyond the seven it documents (FACTS.md "Swagger vs code") are checked as
    // the invoice event they all extend.
    const validate = this.webhookValidators.get(type) ?? (type.startsWith('Invoice') ? this.genericInvoiceEvent : undefined);
    if (!validate) return [...out, `webhook type ${type} is not an invoice event BTCPay describes`];
    if (!validate(parsed)) out.push(...formatErrors(validate.errors).map((e) => `webhook ${type}: ${e}`));
    return out;
  }
}
