// Angor: what the lifecycle derivation and the sync need beyond 001's angor_projects columns.
// - info_version: v1 project info has no endDate and uses startDate as the end of the window;
// - nostr_event_kind: 3030, or 30078 for legacy events;
// - profile_created_at: a profile only replaces the stored name when it is at least as new.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('angor_projects').addColumn('info_version', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('angor_projects').addColumn('nostr_event_kind', 'integer').execute();
  await db.schema.alterTable('angor_projects').addColumn('profile_created_at', 'integer').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of ['profile_created_at', 'nostr_event_kind', 'info_version']) {
    await db.schema.alterTable('angor_projects').dropColumn(column).execute();
  }
}
