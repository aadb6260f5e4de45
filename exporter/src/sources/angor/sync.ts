// The Angor SyncJob (source "angor"). A source (live: indexer + Nostr; demo: a file) produces the
// complete, validated set of projects; only then is it written, in one transaction. Any failure
// before that throws a SyncError and leaves the last good data in place.
import type { Kysely } from 'kysely';
import type { AngorNetwork } from '../../config.js';
import type { Database } from '../../store/schema.js';
import type { Logger } from '../../log.js';
import type { SyncContext, SyncJob } from '../../sources/sync-job.js';
import { SyncError } from '../sync-error.js';
import type { IndexerClient } from './indexer-client.js';
import type { NostrReader } from './nostr-reader.js';
import { ProjectInfoError, parseProjectInfo, type ProjectInfo } from './project-info.js';
import { loadProjectRows, replaceProjects, type AngorProjectRecord } from '../../store/angor-projects.js';
import { rowToProjectInfo } from './project-info.js';
import type { IndexerProject, IndexerStats } from './schemas.js';

/** One project as a source produced it (validated); store/angor-projects.ts keeps it as an AngorProjectRecord. */
export interface AngorProject extends AngorProjectRecord {
  indexer: IndexerProject;
  info: ProjectInfo;
  stats: IndexerStats;
}

export interface AngorSource {
  /** Everything the next write needs; `known` is what is stored now (verified project info). */
  load(ctx: SyncContext, known: ReadonlyMap<string, ProjectInfo>): Promise<AngorProject[]>;
}

export interface AngorSyncJobOptions {
  db: Kysely<Database>;
  network: AngorNetwork;
  source: AngorSource;
  now?: () => number;
}

export class AngorSyncJob implements SyncJob {
  readonly source = 'angor';
  private readonly now: () => number;

  constructor(private readonly opts: AngorSyncJobOptions) {
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  }

  async run(ctx: SyncContext): Promise<void> {
    const known = new Map<string, ProjectInfo>();
    for (const row of await loadProjectRows(this.opts.db)) {
      const info = row.network === this.opts.network ? rowToProjectInfo(row) : undefined;
      if (info) known.set(info.projectId, info);
    }
    const records = await this.opts.source.load(ctx, known);
    ctx.progress({ fetched: records.length });
    if (ctx.signal.aborted) throw new SyncError('aborted', 'Angor sync aborted before writing');
    const written = await replaceProjects(this.opts.db, this.opts.network, records, this.now());
    ctx.progress({ written });
  }
}

export interface LiveAngorSourceOptions {
  network: AngorNetwork;
  indexer: IndexerClient;
  nostr: NostrReader;
  /** Follow only these project identifiers (ANGOR_PROJECTS); empty = every listed project. */
  projects: readonly string[];
}

/** Indexer list → project-info events by id → profiles → stats (FACTS.md 2.4). */
export class LiveAngorSource implements AngorSource {
  constructor(private readonly opts: LiveAngorSourceOptions) {}

  async load(ctx: SyncContext, known: ReadonlyMap<string, ProjectInfo>): Promise<AngorProject[]> {
    const { indexer, nostr, network } = this.opts;
    const { signal, log } = ctx;
    const listed = await this.indexerProjects(signal, log);

    // Project-info events are addressed by their hash and never change: fetch only new ones.
    const cached = (p: IndexerProject) => {
      const k = known.get(p.projectIdentifier);
      return k !== undefined && k.eventId === p.nostrEventId && k.founderKey === p.founderKey ? k : undefined;
    };
    const events = await nostr.eventsById(listed.filter((p) => !cached(p)).map((p) => p.nostrEventId), signal);

    const verified: Array<{ indexer: IndexerProject; info: ProjectInfo }> = [];
    const skipped: Array<{ project: string; why: string }> = [];
    for (const p of listed) {
      const hit = cached(p);
      if (hit) {
        verified.push({ indexer: p, info: hit });
        continue;
      }
      const event = events.get(p.nostrEventId);
      if (!event) {
        skipped.push({ project: p.projectIdentifier, why: 'project-info event not found on any relay' });
        continue;
      }
      try {
        const info = parseProjectInfo(
          event.content,
          { id: event.id, kind: event.kind, pubkey: event.pubkey, createdAt: event.created_at },
          { projectIdentifier: p.projectIdentifier, founderKey: p.founderKey, nostrEventId: p.nostrEventId, network },
        );
        verified.push({ indexer: p, info });
      } catch (err) {
        if (!(err instanceof ProjectInfoError)) throw err;
        skipped.push({ project: p.projectIdentifier, why: err.message });
      }
    }

    const [profiles, stats] = verified.length === 0
      ? [new Map<string, { name: string; createdAt: number }>(), new Map()]
      : [
          await nostr.profiles(verified.map((v) => v.info.nostrPubKey), signal),
          await indexer.getStats(verified.map((v) => v.info.projectId), signal),
        ];

    const records: AngorProject[] = [];
    for (const v of verified) {
      const s = stats.get(v.info.projectId);
      if (!s) {
        skipped.push({ project: v.info.projectId, why: 'the indexer has no stats for it' });
        continue;
      }
      records.push({ ...v, stats: s, profile: profiles.get(v.info.nostrPubKey) });
    }
    if (skipped.length > 0) log.warn({ skipped: skipped.slice(0, 20), count: skipped.length }, 'Angor projects skipped (not verifiable)');
    log.debug({ listed: listed.length, verified: records.length }, 'Angor projects loaded');
    return records;
  }

  private async indexerProjects(signal: AbortSignal, log: Logger): Promise<IndexerProject[]> {
    if (this.opts.projects.length === 0) return this.opts.indexer.listProjects(signal);
    const out: IndexerProject[] = [];
    for (const id of this.opts.projects) {
      const p = await this.opts.indexer.getProject(id, signal);
      if (p) out.push(p);
      else log.warn({ project: id }, 'ANGOR_PROJECTS names a project the indexer does not know');
    }
    return out;
  }
}
