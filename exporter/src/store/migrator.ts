// Runs the code-supplied migrations with kysely's Migrator.
import { Migrator, type Kysely, type MigrationResult } from 'kysely';
import type { Database } from './schema.js';
import { migrations } from './migrations/index.js';

export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

export function createMigrator(db: Kysely<Database>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
}

/** Applies every pending migration; returns the names applied now. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const { error, results } = await createMigrator(db).migrateToLatest();
  if (error) {
    const failed = results?.find((r: MigrationResult) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`database migration ${failed} failed: ${(error as Error).message ?? String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** True when every known migration has been applied (readiness). */
export async function isMigrated(db: Kysely<Database>): Promise<boolean> {
  const applied = await createMigrator(db).getMigrations();
  return applied.every((m) => m.executedAt !== undefined);
}
