// The one write path for Angor projects: a sync's complete result replaces the stored set in a
// single transaction, so a failed sync (which never gets here) leaves the last good data intact.
import type { Kysely } from 'kysely';
import type { AngorNetwork } from '../config.js';
import type { AngorProjectRow, Database } from './schema.js';

/** What the store keeps of a project's verified info (sources/angor/project-info.ts ProjectInfo fits it). */
export interface StoredProjectInfo {
  projectId: string;
  founderKey: string;
  nostrPubKey: string;
  eventId: string;
  eventKind: number;
  version: number;
  type: string;
  startTime: number | null;
  endTime: number | null;
  expiryTime: number | null;
  targetSats: number;
  stages: ReadonlyArray<{ amountToRelease: number; releaseDate: number }>;
}

/** One project as a sync hands it to the store; the sources' validated types fit it as they are. */
export interface AngorProjectRecord {
  indexer: { createdOnBlock: number };
  info: StoredProjectInfo;
  stats: { amountInvested: number; investorCount: number; amountSpentSoFarByFounder: number; amountInPenalties: number };
  /** Newest profile seen this sync; undefined keeps the stored name. */
  profile: { name: string; createdAt: number } | undefined;
}

export async function loadProjectRows(db: Kysely<Database>): Promise<AngorProjectRow[]> {
  return db.selectFrom('angor_projects').selectAll().orderBy('project_id').execute();
}

/**
 * Makes the table hold exactly `records` for `network`: projects no longer listed (or of another
 * network) are removed so their label values disappear. Returns the number of rows written.
 */
export async function replaceProjects(
  db: Kysely<Database>,
  network: AngorNetwork,
  records: readonly AngorProjectRecord[],
  now: number,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const existing = new Map((await trx.selectFrom('angor_projects').selectAll().execute()).map((r) => [r.project_id, r]));
    const keep = new Set(records.map((r) => r.info.projectId));
    const gone = [...existing.values()].filter((r) => !keep.has(r.project_id) || r.network !== network).map((r) => r.project_id);
    if (gone.length > 0) await trx.deleteFrom('angor_projects').where('project_id', 'in', gone).execute();

    for (const { indexer, info, stats, profile } of records) {
      const old = existing.get(info.projectId);
      const sameKey = old !== undefined && old.nostr_pubkey === info.nostrPubKey && old.network === network;
      // A relay that lost the newest profile must not roll the name back to an older one.
      const useNew = profile !== undefined && (!sameKey || (old.profile_created_at ?? -1) <= profile.createdAt);
      const name = useNew ? profile.name : sameKey ? old.name : null;
      const profileCreatedAt = useNew ? profile.createdAt : sameKey ? old.profile_created_at : null;
      const values = {
        project_id: info.projectId,
        network,
        name,
        nostr_event_id: info.eventId,
        nostr_event_kind: info.eventKind,
        founder_key: info.founderKey,
        nostr_pubkey: info.nostrPubKey,
        info_version: info.version,
        project_type: info.type,
        target_sats: info.targetSats,
        raised_sats: stats.amountInvested,
        investments: stats.investorCount,
        spent_by_founder_sats: stats.amountSpentSoFarByFounder,
        penalties_sats: stats.amountInPenalties,
        start_time: info.startTime,
        end_time: info.endTime,
        expiry_time: info.expiryTime,
        stages_json: JSON.stringify(info.stages),
        created_block_height: indexer.createdOnBlock,
        profile_created_at: profileCreatedAt,
        updated_at: now,
      };
      const { project_id: _id, ...update } = values;
      await trx
        .insertInto('angor_projects')
        .values(values)
        .onConflict((oc) => oc.column('project_id').doUpdateSet(update))
        .execute();
    }
    return records.length;
  });
}
