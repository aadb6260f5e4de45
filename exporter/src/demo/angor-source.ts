// Demo mode: Angor projects come from data/angor_demo.json instead of the network. The file holds
// indexer items, stats and Nostr events in the contract's shapes, and goes through the same
// checks as live data. Its dates were written for `anchor`; they are moved forward by whole days
// to today, so the demo shows every lifecycle state however long after release it runs.
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { SyncContext } from '../sources/sync-job.js';
import { SyncError } from '../sources/sync-error.js';
import { PROJECT_ROOT } from '../version.js';
import { dayOf } from '../sources/angor/lifecycle.js';
import { ProjectInfoError, parseProjectInfo, type ProjectInfo } from '../sources/angor/project-info.js';
import type { AngorProject, AngorSource } from '../sources/angor/sync.js';
import { indexerProjectSchema, indexerStatsSchema, nostrEventSchema } from '../sources/angor/schemas.js';
import { profileName } from '../sources/angor/nostr-reader.js';

const unsignedEvent = nostrEventSchema.extend({ sig: nostrEventSchema.shape.sig.optional() });

export const demoFileSchema = z.object({
  network: z.enum(['mainnet', 'testnet']),
  /** Unix time the dates in the file were written for. */
  anchor: z.number().int().nonnegative(),
  projects: z.array(
    z.object({
      indexer: indexerProjectSchema,
      stats: indexerStatsSchema,
      projectEvent: unsignedEvent,
      profileEvent: unsignedEvent.optional(),
    }),
  ),
});
export type DemoFile = z.infer<typeof demoFileSchema>;

/** ANGOR_DEMO_FILE, resolved against the project root when relative (not the working directory). */
export function resolveDemoFile(path: string): string {
  return isAbsolute(path) ? path : resolve(PROJECT_ROOT, path);
}

/** Moves every date of a project by `days` whole days (stage dates stay at midnight UTC). */
export function shiftProjectInfo(info: ProjectInfo, days: number): ProjectInfo {
  const by = days * 86_400;
  const move = (t: number | null) => (t === null ? null : t + by);
  return {
    ...info,
    startTime: move(info.startTime),
    endTime: move(info.endTime),
    expiryTime: move(info.expiryTime),
    stages: info.stages.map((s) => ({ ...s, releaseDate: s.releaseDate + by })),
  };
}

/** Builds the records of a demo file as of `now`; throws SyncError on anything invalid. */
export function demoRecords(file: DemoFile, now: number): AngorProject[] {
  const days = Math.max(0, dayOf(now) - dayOf(file.anchor));
  return file.projects.map(({ indexer, stats, projectEvent: e, profileEvent }) => {
    let info: ProjectInfo;
    try {
      info = parseProjectInfo(
        e.content,
        { id: e.id, kind: e.kind, pubkey: e.pubkey, createdAt: e.created_at },
        { projectIdentifier: indexer.projectIdentifier, founderKey: indexer.founderKey, nostrEventId: indexer.nostrEventId, network: file.network },
      );
    } catch (err) {
      if (err instanceof ProjectInfoError) throw new SyncError('validation', `demo project ${indexer.projectIdentifier}: ${err.message}`);
      throw err;
    }
    const name = profileEvent && profileEvent.pubkey === e.pubkey ? profileName(profileEvent.content) : undefined;
    return {
      indexer,
      info: shiftProjectInfo(info, days),
      stats,
      profile: name === undefined ? undefined : { name, createdAt: profileEvent!.created_at },
    };
  });
}

export class DemoAngorSource implements AngorSource {
  constructor(
    private readonly path: string,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  async load(_ctx: SyncContext): Promise<AngorProject[]> {
    const file = resolveDemoFile(this.path);
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new SyncError('bad_response', `cannot read the Angor demo file ${file}: ${(err as Error).message}`);
    }
    const parsed = demoFileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new SyncError('validation', `Angor demo file ${file}: ${issue.path.join('.')}: ${issue.message}`);
    }
    return demoRecords(parsed.data, this.now());
  }
}
