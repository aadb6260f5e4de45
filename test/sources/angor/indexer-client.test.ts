import { afterEach, describe, expect, it } from 'vitest';
import { IndexerClient, displayUrl } from '../../../exporter/src/sources/angor/indexer-client.js';
import { SyncError } from '../../../exporter/src/sources/sync-error.js';
import { silentLog } from '../../helpers/exporter.js';
import { startFakeIndexer, type FakeIndexer, type IndexerItem } from './helpers/fake-indexer.js';
import { fakeProjectId, fixtures } from './helpers/fixtures.js';

const hex = (n: number, len: number) => n.toString(16).padStart(len, '0');
const items = (n: number): IndexerItem[] =>
  Array.from({ length: n }, (_, i) => ({
    founderKey: `02${hex(i, 64)}`,
    projectIdentifier: fakeProjectId(`p${i}`),
    createdOnBlock: 900_000 + i,
    trxId: hex(i, 64),
    nostrEventId: hex(i + 1, 64),
  }));

const servers: FakeIndexer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close();
});
async function fake(opts: Parameters<typeof startFakeIndexer>[0]) {
  const s = await startFakeIndexer(opts);
  servers.push(s);
  return s;
}

describe('IndexerClient', () => {
  it('pages by offset up to Pagination-Total with limit 50 and returns every project once', async () => {
    const idx = await fake({ projects: items(120) });
    const client = new IndexerClient({ baseUrls: [idx.url], log: silentLog });
    const projects = await client.listProjects();
    expect(projects).toHaveLength(120);
    expect(new Set(projects.map((p) => p.projectIdentifier)).size).toBe(120);
    const pages = idx.requests.filter((p) => p.includes('limit=50'));
    expect(pages).toEqual([0, 50, 100].map((o) => `/api/v1/query/Angor/projects?offset=${o}&limit=50`));
  });

  it('names the failure with a bounded reason when every base fails', async () => {
    const a = await fake({ failWith: 500 });
    const b = await fake({ failWith: 429 });
    const client = new IndexerClient({ baseUrls: [a.url, b.url], log: silentLog });
    const err = await client.listProjects().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyncError);
    expect((err as SyncError).reason).toBe('rate_limited');
    expect(a.requests.length).toBeGreaterThan(0);
  });

  it('rejects an answer that breaks the contract (amounts must be integer sats)', async () => {
    const id = fixtures.project.projectIdentifier;
    const idx = await fake({ projects: fixtures.projects, stats: { [id]: { ...fixtures.stats, amountInvested: 2.634 } } });
    const client = new IndexerClient({ baseUrls: [idx.url], log: silentLog });
    await expect(client.getStats([id])).rejects.toMatchObject({ reason: 'validation' });
  });

  it('maps a stats 404 to null and a refused connection to a network error', async () => {
    const idx = await fake({ projects: fixtures.projects, stats: {} });
    const client = new IndexerClient({ baseUrls: [idx.url], log: silentLog });
    expect((await client.getStats([fixtures.project.projectIdentifier])).get(fixtures.project.projectIdentifier)).toBeNull();
    const url = idx.url;
    await servers.pop()!.close();
    const dead = new IndexerClient({ baseUrls: [url], log: silentLog });
    await expect(dead.listProjects()).rejects.toMatchObject({ reason: 'network' });
  });

  it('keeps credentials in a base URL out of messages', () => {
    expect(displayUrl('https://user:hunter22@indexer.example/api')).toBe('https://indexer.example/api');
  });
});
