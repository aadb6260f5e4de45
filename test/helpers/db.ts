// A migrated database in a temp folder, closed after the test file.
import { afterAll } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../exporter/src/store/connection.js';
import { migrateToLatest } from '../../exporter/src/store/migrator.js';
import { tempDbPath } from './tmp.js';

export async function openTestDb(): Promise<DatabaseHandle> {
  const handle = openDatabase(tempDbPath('crowdfund-webhooks-'));
  afterAll(() => handle.close());
  await migrateToLatest(handle.db);
  return handle;
}
