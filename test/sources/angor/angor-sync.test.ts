// End to end: a real exporter syncs from a fake indexer and a Nostr relay written by others
// (@nostr-relay/core, test/helpers/nostr-relay.ts) serving the contract fixtures, and /metrics is
// checked line by line.
import { afterEach, describe, expect, it } from 'vitest';
import type { Event } from 'nostr-tools/pure';
import type { Exporter } from '../../../exporter/src/main.js';
import { startTestExporter } from '../../helpers/exporter.js';
import { startFakeIndexer, type FakeIndexer } from './helpers/fake-indexer.js';
import { startNostrRelay, type TestRelay } from '../../helpers/nostr-relay.js';
import { fixtures, ownProject, seriesLines, seriesValue } from './helpers/fixtures.js';

// 2026-11-22 12:00 UTC: the fixture project's window (2026-05-15..06-30) is over and three of its
// four stages (2026-07-10, 09-08, 11-07, 2027-01-06) have come.
const NOW = Date.UTC(2026, 10, 22, 12) / 1000;
const KILN = fixtures.project.projectIdentifier;

const stopAfter: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (stopAfter.length > 0) await stopAfter.pop()!.close();
});

async function indexer(opts: Parameters<typeof startFakeIndexer>[0] = {}): Promise<FakeIndexer> {
  const i = await startFakeIndexer({ projects: fixtures.projects, stats: { [KILN]: fixtures.stats }, ...opts });
  stopAfter.push(i);
  return i;
}

async function relay(events: Event[] = [fixtures.projectEvent, fixtures.profileEvent], hang = false): Promise<TestRelay> {
  const r = await startNostrRelay({ events, hang });
  stopAfter.push(r);
  return r;
}

async function exporter(indexerUrls: string[], relayUrls: string[], env: Record<string, string> = {}): Promise<Exporter> {
  const e = await startTestExporter(
    { DEMO: 'false', ANGOR_INDEXER_URLS: indexerUrls.join(','), NOSTR_RELAYS: relayUrls.join(','), NOSTR_TIMEOUT_SECONDS: '2', ...env },
    { schedule: false, now: () => NOW },
  );
  stopAfter.push(e);
  return e;
}

async function sync(e: Exporter) {
  const [summary] = await e.scheduler.runAll('test');
  return summary!;
}

async function scrape(e: Exporter): Promise<string> {
  const res = await fetch(`${e.url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

const KILN_SERIES = [
  `angor_project_end_timestamp_seconds{project="${KILN}"} 1782777600`,
  `angor_project_info{project="${KILN}",name="Kiln Bakery Co-op",network="mainnet"} 1`,
  `angor_project_investments{project="${KILN}"} 9`,
  `angor_project_penalties_sats{project="${KILN}"} 19796800`,
  `angor_project_raised_sats{project="${KILN}"} 263400000`,
  `angor_project_spent_by_founder_sats{project="${KILN}"} 59641200`,
  `angor_project_stages_released_ratio{project="${KILN}"} 0.75`,
  `angor_project_target_sats{project="${KILN}"} 250000000`,
  'angor_projects{state="expired"} 0',
  'angor_projects{state="failed"} 0',
  'angor_projects{state="funding"} 0',
  'angor_projects{state="succeeded"} 1',
  'angor_projects{state="target_reached"} 0',
  'angor_projects{state="upcoming"} 0',
].sort();

describe('Angor sync against a fake indexer and a local Nostr relay', () => {
  it('exports exactly the fixture project, verified through its on-chain nostrEventId', async () => {
    const idx = await indexer();
    const r = await relay();
    const e = await exporter([idx.url], [r.url]);

    // Before the first run every state is already there, at 0.
    expect(seriesValue(await scrape(e), 'angor_projects{state="succeeded"}')).toBe(0);

    expect(await sync(e)).toMatchObject({ ok: true });
    const body = await scrape(e);
    // The other two fixture projects point at events no relay has: they are not exported.
    expect(seriesLines(body, 'angor_')).toEqual(KILN_SERIES);
    expect(seriesValue(body, 'crowdfund_sync_up{source="angor"}')).toBe(1);

    // Pagination quirks: an explicit numeric offset, a limit of at most 50.
    const listCalls = idx.requests.filter((p) => p.includes('/projects?'));
    expect(listCalls.length).toBeGreaterThan(0);
    for (const p of listCalls) expect(p).toMatch(/[?&]offset=\d+(&|$)/);
    for (const p of listCalls) expect(Number(new URL(p, 'http://x').searchParams.get('limit'))).toBeLessThanOrEqual(50);
    // Stats only for the verified project.
    expect(idx.requests.filter((p) => p.endsWith('/stats'))).toEqual([`/api/v1/query/Angor/projects/${KILN}/stats`]);
    // Project events are looked up by id without a kinds filter (legacy 30078 must match too).
    const byId = r.reqs.flat().find((f) => f.ids !== undefined);
    expect(byId?.kinds).toBeUndefined();
    expect(byId?.ids).toEqual(expect.arrayContaining(fixtures.projects.map((p) => p.nostrEventId)));
  });

  it('forged events: the relay rejects them, and the exporter rejects those a relay serves anyway', async () => {
    const forgedSig = { ...fixtures.projectEvent, sig: fixtures.profileEvent.sig };
    const idx = await indexer();
    const r = await relay([fixtures.profileEvent]);
    const e = await exporter([idx.url], [r.url]);

    // Rejected by the relay: @nostr-relay/core checks the signature of every EVENT.
    expect(await r.publish(forgedSig)).toEqual({ accepted: false, message: 'invalid: signature is wrong' });
    expect(await sync(e)).toMatchObject({ ok: true });
    expect(seriesLines(await scrape(e), 'angor_project_')).toEqual([]);

    // Rejected by the exporter: a relay that does not verify serves the forged event anyway.
    r.plant(forgedSig);
    expect(await sync(e)).toMatchObject({ ok: true });
    let body = await scrape(e);
    expect(seriesLines(body, 'angor_project_')).toEqual([]);
    expect(seriesValue(body, 'angor_projects{state="succeeded"}')).toBe(0);

    // Same id and signature, tampered content: the id no longer hashes to the content. The relay
    // says so (once the store is empty: an id it already holds is answered "duplicate" unchecked);
    // served anyway, the exporter drops it.
    const tampered = { ...fixtures.projectEvent, content: fixtures.projectEvent.content.replace('250000000', '990000000') };
    expect(await r.publish(tampered)).toEqual({ accepted: true, message: 'duplicate: the event already exists' });
    r.clear();
    expect(await r.publish(tampered)).toEqual({ accepted: false, message: 'invalid: id is wrong' });
    r.plant(tampered, fixtures.profileEvent);
    expect(await sync(e)).toMatchObject({ ok: true });
    expect(seriesLines(await scrape(e), 'angor_project_')).toEqual([]);

    // A genuine project event with a forged (newer) profile: the relay refuses the profile; served
    // anyway, the exporter ignores it and the fake name never shows up.
    const fakeProfile = { ...fixtures.profileEvent, created_at: fixtures.profileEvent.created_at + 10, content: '{"name":"Send me your coins"}' };
    r.clear();
    expect(await r.publish(fixtures.projectEvent)).toEqual({ accepted: true, message: '' });
    expect(await r.publish(fakeProfile)).toEqual({ accepted: false, message: 'invalid: id is wrong' });
    r.plant(fakeProfile);
    expect(await sync(e)).toMatchObject({ ok: true });
    body = await scrape(e);
    expect(seriesValue(body, `angor_project_info{project="${KILN}",name="",network="mainnet"}`)).toBe(1);
    expect(body).not.toContain('Send me your coins');
  });

  it('keeps the last good data and reports the error when the indexer answers 500', async () => {
    const idx = await indexer();
    const r = await relay();
    const e = await exporter([idx.url], [r.url]);
    expect(await sync(e)).toMatchObject({ ok: true });

    idx.failWith = 500;
    expect(await sync(e)).toMatchObject({ ok: false, errorReason: 'server_error' });
    const body = await scrape(e);
    expect(seriesValue(body, 'crowdfund_sync_errors_total{source="angor",reason="server_error"}')).toBe(1);
    expect(seriesValue(body, 'crowdfund_sync_up{source="angor"}')).toBe(0);
    expect(seriesLines(body, 'angor_')).toEqual(KILN_SERIES);
  });

  it('keeps the last good data and reports a timeout when the only relay hangs', async () => {
    const idx = await indexer();
    const r = await relay();
    const e = await exporter([idx.url], [r.url], { NOSTR_TIMEOUT_SECONDS: '1' });
    expect(await sync(e)).toMatchObject({ ok: true });

    // Raised moved on the indexer, but the relay now accepts connections and never answers:
    // nothing of this run may be written.
    idx.stats[KILN] = { ...fixtures.stats, amountInvested: 300_000_000 };
    r.hang = true;
    expect(await sync(e)).toMatchObject({ ok: false, errorReason: 'timeout' });
    const body = await scrape(e);
    expect(seriesValue(body, 'crowdfund_sync_errors_total{source="angor",reason="timeout"}')).toBe(1);
    expect(seriesValue(body, 'crowdfund_sync_up{source="angor"}')).toBe(0);
    expect(seriesLines(body, 'angor_')).toEqual(KILN_SERIES);

    // Recovery: the next good run writes the new figure.
    r.hang = false;
    expect(await sync(e)).toMatchObject({ ok: true });
    expect(seriesValue(await scrape(e), `angor_project_raised_sats{project="${KILN}"}`)).toBe(300_000_000);
  });

  it('goes on when one of two relays hangs', async () => {
    const idx = await indexer();
    const silent = await relay([], true);
    const good = await relay();
    const e = await exporter([idx.url], [silent.url, good.url], { NOSTR_TIMEOUT_SECONDS: '1' });
    expect(await sync(e)).toMatchObject({ ok: true });
    expect(seriesLines(await scrape(e), 'angor_')).toEqual(KILN_SERIES);
  });

  it('fails over to the second indexer, which serves only the legacy route', async () => {
    const broken = await indexer({ failWith: 503 });
    const legacy = await indexer({ legacyOnly: true });
    const r = await relay();
    const e = await exporter([broken.url, legacy.url], [r.url]);
    expect(await sync(e)).toMatchObject({ ok: true });
    expect(seriesLines(await scrape(e), 'angor_')).toEqual(KILN_SERIES);
    expect(broken.requests.length).toBeGreaterThan(0);
    expect(legacy.requests.some((p) => p.startsWith('/api/query/Angor/projects?'))).toBe(true);
    expect(legacy.requests.filter((p) => p.endsWith('/stats'))).toEqual([`/api/query/Angor/projects/${KILN}/stats`]);
  });

  it('parses a legacy kind-30078 v1 event with a decimal BTC target to exact sats', async () => {
    // v1: no version, no endDate (startDate ends the window), target 0.29 BTC, written in 2024.
    const legacy = ownProject(
      'legacy-v1',
      { startDate: Date.UTC(2024, 11, 1) / 1000, expiryDate: Date.UTC(2027, 5, 1) / 1000, penaltyDays: 90, targetAmount: 0.29, stages: [{ amountToRelease: 100, releaseDate: Date.UTC(2025, 2, 1) / 1000 }] },
      { kind: 30078, createdAt: Date.UTC(2024, 9, 3) / 1000, name: 'Old Signet Project' },
    );
    const idx = await indexer({ projects: [legacy.item], stats: { [legacy.item.projectIdentifier]: { ...fixtures.stats, amountInvested: 29_000_000 } } });
    const r = await relay([legacy.event, legacy.profile]);
    const e = await exporter([idx.url], [r.url]);
    expect(await sync(e)).toMatchObject({ ok: true });
    const body = await scrape(e);
    const id = legacy.item.projectIdentifier;
    expect(seriesValue(body, `angor_project_target_sats{project="${id}"}`)).toBe(29_000_000);
    expect(seriesValue(body, `angor_project_end_timestamp_seconds{project="${id}"}`)).toBe(Date.UTC(2024, 11, 1) / 1000);
    expect(seriesValue(body, `angor_project_stages_released_ratio{project="${id}"}`)).toBe(1);
    expect(seriesValue(body, 'angor_projects{state="succeeded"}')).toBe(1);
  });

  it('follows only ANGOR_PROJECTS, and drops projects of another network', async () => {
    const main = ownProject('main-net', { version: 2, projectType: 0, networkName: 'Main', startDate: NOW - 86_400 * 5, endDate: NOW + 86_400 * 5, expiryDate: NOW + 86_400 * 200, targetAmount: 100_000_000 });
    const test = ownProject('angornet', { version: 2, projectType: 0, networkName: 'Angornet', startDate: NOW - 86_400 * 5, endDate: NOW + 86_400 * 5, expiryDate: NOW + 86_400 * 200, targetAmount: 100_000_000 });
    const stats = { [main.item.projectIdentifier]: fixtures.stats, [test.item.projectIdentifier]: fixtures.stats, [KILN]: fixtures.stats };
    const idx = await indexer({ projects: [...fixtures.projects, main.item, test.item], stats });
    const r = await relay([fixtures.projectEvent, fixtures.profileEvent, main.event, main.profile, test.event, test.profile]);

    const all = await exporter([idx.url], [r.url]);
    expect(await sync(all)).toMatchObject({ ok: true });
    const allBody = await scrape(all);
    expect(seriesLines(allBody, 'angor_project_info').map((l) => /project="([^"]+)"/.exec(l)![1]).sort()).toEqual([KILN, main.item.projectIdentifier].sort());
    expect(seriesValue(allBody, 'angor_projects{state="target_reached"}')).toBe(1); // raised 2.634 BTC >= 1 BTC, window open

    const subset = await exporter([idx.url], [r.url], { ANGOR_PROJECTS: main.item.projectIdentifier });
    idx.requests.length = 0;
    expect(await sync(subset)).toMatchObject({ ok: true });
    expect(seriesLines(await scrape(subset), 'angor_project_info').length).toBe(1);
    expect(idx.requests).toContain(`/api/v1/query/Angor/projects/${main.item.projectIdentifier}`);
  });
});
