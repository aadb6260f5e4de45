// Client of the Angor indexer API (FACTS.md section 1): `/api/v1/query/Angor` with the legacy
// `/api/query/Angor` as fallback, several base URLs tried in order. Each operation runs against
// one base from start to end (the two server implementations count amounts ~1% apart, so one
// answer is never stitched together from two of them); a base that fails hands over to the next.
import { request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { Logger } from '../../log.js';
import type { SyncErrorReason } from '../../metrics/labels.js';
import { SyncError } from '../sync-error.js';
import {
  indexerProjectDetailSchema,
  indexerProjectListSchema,
  indexerStatsSchema,
  type IndexerProject,
  type IndexerStats,
} from './schemas.js';

/** The servers reject a limit above 50 with 400 (FACTS.md 1.4). */
export const PAGE_LIMIT = 50;
/** A runaway Pagination-Total must not loop for ever: 50 × 2,000 projects is far beyond Angor. */
const MAX_PAGES = 2_000;
const PREFIXES = ['/api/v1/query/Angor', '/api/query/Angor'] as const;
type Prefix = (typeof PREFIXES)[number];

export interface IndexerClientOptions {
  baseUrls: string[];
  log: Logger;
  timeoutMs?: number;
  dispatcher?: Dispatcher;
}

/** A URL without user:password, for logs and error messages. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/+$/, '');
  } catch {
    return '(invalid url)';
  }
}

interface Response<T> {
  status: 'ok';
  data: T;
  total: number | undefined;
}

class Base {
  prefix: Prefix | undefined;
  constructor(readonly url: string) {}
}

export class IndexerClient {
  private readonly bases: Base[];
  /** Index of the base that answered last; later operations start there. */
  private preferred = 0;
  private readonly timeoutMs: number;

  constructor(private readonly opts: IndexerClientOptions) {
    if (opts.baseUrls.length === 0) throw new Error('IndexerClient needs at least one base URL');
    this.bases = opts.baseUrls.map((u) => new Base(u.replace(/\/+$/, '')));
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** Every project, paged by offset up to Pagination-Total and de-duplicated. */
  listProjects(signal?: AbortSignal): Promise<IndexerProject[]> {
    return this.withFailover('list projects', signal, async (base) => {
      const byId = new Map<string, IndexerProject>();
      // Never follow Link (its arithmetic is wrong in the mempool fork); step offset ourselves.
      for (let page = 0, offset = 0; page < MAX_PAGES; page++, offset += PAGE_LIMIT) {
        const res = await this.get(base, `/projects?offset=${offset}&limit=${PAGE_LIMIT}`, indexerProjectListSchema, signal);
        if (res === null) throw new SyncError('not_found', `${displayUrl(base.url)}: the project list answered 404`);
        for (const p of res.data) if (!byId.has(p.projectIdentifier)) byId.set(p.projectIdentifier, p);
        const done = res.total !== undefined ? offset + PAGE_LIMIT >= res.total : res.data.length < PAGE_LIMIT;
        if (done || res.data.length === 0) break;
      }
      return [...byId.values()];
    });
  }

  /** One project, or null when the indexer does not know it (404). */
  getProject(projectId: string, signal?: AbortSignal): Promise<IndexerProject | null> {
    return this.withFailover(`project ${projectId}`, signal, async (base) => {
      const res = await this.get(base, `/projects/${encodeURIComponent(projectId)}`, indexerProjectDetailSchema, signal);
      return res?.data ?? null;
    });
  }

  /** Stats of many projects from one base; a project the indexer answers 404 for maps to null. */
  getStats(projectIds: readonly string[], signal?: AbortSignal, concurrency = 4): Promise<Map<string, IndexerStats | null>> {
    return this.withFailover('project stats', signal, async (base) => {
      const out = new Map<string, IndexerStats | null>();
      let next = 0;
      const worker = async () => {
        while (next < projectIds.length) {
          const id = projectIds[next++]!;
          const res = await this.get(base, `/projects/${encodeURIComponent(id)}/stats`, indexerStatsSchema, signal);
          out.set(id, res?.data ?? null);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, projectIds.length) }, worker));
      return out;
    });
  }

  private async withFailover<T>(what: string, signal: AbortSignal | undefined, fn: (base: Base) => Promise<T>): Promise<T> {
    let last: SyncError | undefined;
    for (let i = 0; i < this.bases.length; i++) {
      const index = (this.preferred + i) % this.bases.length;
      const base = this.bases[index]!;
      try {
        await this.resolvePrefix(base, signal);
        const result = await fn(base);
        this.preferred = index;
        return result;
      } catch (err) {
        const e = toSyncError(err, base.url);
        if (e.reason === 'aborted') throw e;
        // The route may have moved (a redeploy): look it up again next time.
        base.prefix = undefined;
        this.opts.log.warn({ indexer: displayUrl(base.url), reason: e.reason, err: e.message, what }, 'angor indexer failed, trying the next one');
        last = e;
      }
    }
    throw new SyncError(last?.reason ?? 'network', `every Angor indexer failed (${what}); last: ${last?.message ?? 'none'}`, { cause: last });
  }

  /** Finds which API prefix this base serves: the current one, else the legacy route. */
  private async resolvePrefix(base: Base, signal?: AbortSignal): Promise<void> {
    if (base.prefix !== undefined) return;
    for (const prefix of PREFIXES) {
      const res = await this.fetchJson(`${base.url}${prefix}/projects?offset=0&limit=1`, indexerProjectListSchema, signal);
      if (res !== null) {
        base.prefix = prefix;
        if (prefix !== PREFIXES[0]) this.opts.log.info({ indexer: displayUrl(base.url) }, 'angor indexer serves only the legacy /api/query/Angor route');
        return;
      }
    }
    throw new SyncError('not_found', `${displayUrl(base.url)} serves neither ${PREFIXES.join(' nor ')}`);
  }

  private get<S extends z.ZodType>(base: Base, path: string, schema: S, signal?: AbortSignal): Promise<Response<z.infer<S>> | null> {
    return this.fetchJson(`${base.url}${base.prefix ?? PREFIXES[0]}${path}`, schema, signal);
  }

  /** GET and parse; null on 404; throws SyncError with a bounded reason otherwise. */
  private async fetchJson<S extends z.ZodType>(url: string, schema: S, signal?: AbortSignal): Promise<Response<z.infer<S>> | null> {
    const shown = displayUrl(url);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: 'GET',
        headers: { accept: 'application/json' },
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal,
        dispatcher: this.opts.dispatcher,
      });
    } catch (err) {
      throw toSyncError(err, url);
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      throw toSyncError(err, url);
    }
    if (res.statusCode === 404) return null;
    if (res.statusCode !== 200) throw new SyncError(reasonForStatus(res.statusCode), `${shown} answered HTTP ${res.statusCode}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new SyncError('bad_response', `${shown} answered with something that is not JSON`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new SyncError('validation', `${shown}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    const totalHeader = res.headers['pagination-total'];
    const total = typeof totalHeader === 'string' && /^\d+$/.test(totalHeader) ? Number(totalHeader) : undefined;
    return { status: 'ok', data: parsed.data, total };
  }
}

function reasonForStatus(status: number): SyncErrorReason {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'missing_permission';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_error';
  return 'bad_response';
}

function toSyncError(err: unknown, url: string): SyncError {
  if (err instanceof SyncError) return err;
  const e = err as { name?: string; code?: string; message?: string };
  const shown = displayUrl(url);
  if (e?.name === 'AbortError') return new SyncError('aborted', `${shown}: request aborted`, { cause: err });
  if (e?.code === 'UND_ERR_HEADERS_TIMEOUT' || e?.code === 'UND_ERR_BODY_TIMEOUT' || e?.code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new SyncError('timeout', `${shown}: no answer in time`, { cause: err });
  }
  return new SyncError('network', `${shown}: ${e?.code ?? e?.message ?? 'request failed'}`, { cause: err });
}
