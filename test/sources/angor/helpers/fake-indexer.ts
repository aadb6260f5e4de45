// A fake Angor indexer on 127.0.0.1 serving `/api/v1/query/Angor` and the legacy `/api/query/Angor`
// routes with the quirks of FACTS.md 1.4: limit 1..50, 400 for a bad or empty offset, newest
// first, Pagination-* headers. `failWith` makes every request answer that status.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface IndexerItem {
  founderKey: string;
  projectIdentifier: string;
  createdOnBlock: number;
  trxId: string;
  nostrEventId: string;
}

export interface FakeIndexer {
  url: string;
  projects: IndexerItem[];
  stats: Record<string, unknown>;
  /** Request paths with query, in arrival order. */
  requests: string[];
  failWith: number | undefined;
  close(): Promise<void>;
}

const V1 = '/api/v1/query/Angor';
const LEGACY = '/api/query/Angor';

export async function startFakeIndexer(opts: {
  projects?: IndexerItem[];
  stats?: Record<string, unknown>;
  /** Only the legacy route exists (the v1 prefix answers 404). */
  legacyOnly?: boolean;
  failWith?: number;
} = {}): Promise<FakeIndexer> {
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };
  const badRequest = (res: ServerResponse, field: string) =>
    json(res, 400, { errors: { [field]: ['invalid'] }, type: 'validation', title: 'One or more validation errors occurred.', status: 400 });

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    indexer.requests.push(req.url ?? '');
    if (indexer.failWith !== undefined) {
      return json(res, indexer.failWith, { error: 'Internal Server Error', message: 'boom', details: 'test' });
    }
    const url = new URL(req.url ?? '/', 'http://x');
    let path: string;
    if (url.pathname.startsWith(V1) && !opts.legacyOnly) path = url.pathname.slice(V1.length);
    else if (url.pathname.startsWith(LEGACY)) path = url.pathname.slice(LEGACY.length);
    else return json(res, 404, { type: 'about:blank', title: 'Not Found', status: 404 });

    if (path === '/projects') {
      const limitRaw = url.searchParams.get('limit');
      const offsetRaw = url.searchParams.get('offset');
      const limit = limitRaw === null ? 10 : Number(limitRaw);
      const offset = offsetRaw === null ? 0 : offsetRaw === '' ? NaN : Number(offsetRaw);
      if (!Number.isInteger(limit) || limit < 1 || limit > 50) return badRequest(res, 'limit');
      if (!Number.isInteger(offset) || offset < 0) return badRequest(res, 'offset');
      const sorted = [...indexer.projects].sort((a, b) => b.createdOnBlock - a.createdOnBlock);
      return json(res, 200, sorted.slice(offset, offset + limit), {
        'Pagination-Total': String(sorted.length),
        'Pagination-Offset': String(offset),
        'Pagination-Limit': String(limit),
      });
    }
    const m = /^\/projects\/([^/]+)(\/stats)?$/.exec(path);
    if (m) {
      const id = decodeURIComponent(m[1]!);
      const project = indexer.projects.find((p) => p.projectIdentifier === id);
      if (!project) return json(res, 404, { type: 'about:blank', title: 'Not Found', status: 404 });
      if (m[2]) {
        const stats = indexer.stats[id];
        return stats === undefined ? json(res, 404, { title: 'Not Found', status: 404 }) : json(res, 200, stats);
      }
      const s = indexer.stats[id] as { investorCount?: number } | undefined;
      return json(res, 200, { ...project, totalInvestmentsCount: s?.investorCount ?? 0 });
    }
    return json(res, 404, { type: 'about:blank', title: 'Not Found', status: 404 });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const indexer: FakeIndexer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    projects: [...(opts.projects ?? [])],
    stats: { ...(opts.stats ?? {}) },
    requests: [],
    failWith: opts.failWith,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return indexer;
}
