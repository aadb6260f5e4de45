// Starts a real exporter on 127.0.0.1 and an ephemeral port, with a silent logger.
import { pino } from 'pino';
import { afterAll } from 'vitest';
import { loadConfig } from '../../exporter/src/config.js';
import { startExporter, type Exporter, type StartOptions } from '../../exporter/src/main.js';
import { tempDbPath } from './tmp.js';

export const silentLog = pino({ level: 'silent' });

export async function startTestExporter(
  env: Record<string, string> = {},
  opts: StartOptions = {},
): Promise<Exporter> {
  const config = loadConfig(
    { PORT: '0', HOST: '127.0.0.1', DATABASE_PATH: tempDbPath(), ...env },
    { readDotenv: false },
  );
  const exporter = await startExporter(config, { log: silentLog, ...opts });
  afterAll(() => exporter.close());
  return exporter;
}
