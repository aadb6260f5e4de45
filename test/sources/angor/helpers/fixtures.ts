// The Angor contract fixtures (read-only, shared with every helper) and small builders for
// events of our own, signed with throwaway keys so they verify like real ones.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { finalizeEvent, getPublicKey, type Event } from 'nostr-tools/pure';
import type { IndexerItem } from './fake-indexer.js';

// Copies of ../shared/contracts/angor/*.json, so the repository tests itself.
const CONTRACTS = new URL('../fixtures/', import.meta.url);
const read = <T>(file: string): T => JSON.parse(readFileSync(new URL(file, CONTRACTS), 'utf8')) as T;

export const fixtures = {
  projects: read<IndexerItem[]>('indexer-projects.json'),
  project: read<IndexerItem & { totalInvestmentsCount: number }>('indexer-project.json'),
  stats: read<Record<string, number>>('indexer-project-stats.json'),
  projectEvent: read<Event>('nostr-project-event.json'),
  profileEvent: read<Event>('nostr-profile-event.json'),
};

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** A bech32-looking angor1q… identifier (only the character set is checked by the exporter). */
export function fakeProjectId(seed: string): string {
  const alphabet = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
  const bytes = createHash('sha256').update(seed).digest();
  return `angor1q${[...bytes].slice(0, 38).map((b) => alphabet[b % 32]).join('')}`.slice(0, 45);
}

export interface OwnProject {
  item: IndexerItem;
  event: Event;
  profile: Event;
}

/** A signed project-info event plus the indexer item that commits to it. */
export function ownProject(seed: string, content: Record<string, unknown>, opts: { kind?: number; createdAt?: number; name?: string; block?: number } = {}): OwnProject {
  const sk = createHash('sha256').update(`sk-${seed}`).digest();
  const pubkey = getPublicKey(sk);
  const projectIdentifier = fakeProjectId(seed);
  const founderKey = `02${sha(`founder-${seed}`)}`;
  const createdAt = opts.createdAt ?? 1_790_000_000;
  const event = finalizeEvent(
    { kind: opts.kind ?? 3030, created_at: createdAt, tags: [], content: JSON.stringify({ founderKey, projectIdentifier, nostrPubKey: pubkey, ...content }) },
    sk,
  );
  const profile = finalizeEvent({ kind: 0, created_at: createdAt, tags: [], content: JSON.stringify({ name: opts.name ?? seed }) }, sk);
  return {
    item: { founderKey, projectIdentifier, createdOnBlock: opts.block ?? 900_000, trxId: sha(`trx-${seed}`), nostrEventId: event.id },
    event,
    profile,
  };
}

/** Serie lines of a /metrics body whose name starts with `prefix`, sorted. */
export function seriesLines(body: string, prefix: string): string[] {
  return body
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .sort();
}

/** The value of one exact series (`name{labels}` as printed), or undefined. */
export function seriesValue(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
