// The one entry point main.ts needs: the Angor SyncJob for the configured mode.
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Database } from '../store/schema.js';
import type { Logger } from '../log.js';
import { DemoAngorSource } from '../demo/angor-source.js';
import { IndexerClient } from '../sources/angor/indexer-client.js';
import { NostrReader } from '../sources/angor/nostr-reader.js';
import { AngorSyncJob, LiveAngorSource } from '../sources/angor/sync.js';

export interface CreateAngorJobOptions {
  angor: Config['angor'];
  mode: Config['mode'];
  db: Kysely<Database>;
  log: Logger;
  now?: () => number;
}

export function createAngorSyncJob(o: CreateAngorJobOptions): AngorSyncJob {
  const log = o.log.child({ source: 'angor' });
  const source =
    o.mode === 'demo'
      ? new DemoAngorSource(o.angor.demoFile, o.now)
      : new LiveAngorSource({
          network: o.angor.network,
          projects: o.angor.projects,
          indexer: new IndexerClient({ baseUrls: o.angor.indexerUrls, log }),
          nostr: new NostrReader({ relays: o.angor.relays, timeoutMs: o.angor.nostrTimeoutMs, log }),
        });
  return new AngorSyncJob({ db: o.db, network: o.angor.network, source, now: o.now });
}
