import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_PORT, loadConfig } from '../exporter/src/config.js';
import { tempDir } from './helpers/tmp.js';

const load = (env: Record<string, string>, cwd?: string) => loadConfig(env, { readDotenv: cwd !== undefined, cwd });

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('config defaults', () => {
  it('runs in demo mode with documented defaults when nothing is set', () => {
    const c = load({});
    expect(c.mode).toBe('demo');
    expect(c.port).toBe(DEFAULT_PORT);
    expect(c.host).toBe('0.0.0.0');
    expect(c.databasePath).toBe('data/crowdfund.db');
    expect(c.syncSchedule).toBe('*/5 * * * *');
    expect(c.btcpay).toBeUndefined();
    expect(c.angor.enabled).toBe(true);
    expect(c.angor.network).toBe('mainnet');
    expect(c.angor.relays).toContain('wss://relay.angor.io');
    expect(c.webhooks.rateLimitPerSecond).toBe(50);
    expect(c.publicUrl).toBe(`http://localhost:${DEFAULT_PORT}`);
  });

  it('is live when BTCPay is configured, merging BTCPAY_STORE_IDS and BTCPAY_STORE_ID', () => {
    const c = load({
      BTCPAY_URL: 'https://btcpay.example.com/',
      BTCPAY_API_KEY: 'k3y-abcdef',
      BTCPAY_STORE_IDS: 'storeA, storeB,,storeA',
      BTCPAY_STORE_ID: 'storeC',
    });
    expect(c.mode).toBe('live');
    expect(c.btcpay?.url).toBe('https://btcpay.example.com');
    expect(c.btcpay?.storeIds).toEqual(['storeA', 'storeB', 'storeC']);
  });

  it('DEMO=true forces demo mode even with BTCPay configured; DEMO=false without BTCPay runs no BTCPay source', () => {
    expect(load({ DEMO: 'true', BTCPAY_URL: 'https://b.example', BTCPAY_API_KEY: 'x' }).mode).toBe('demo');
    const off = load({ DEMO: 'false' });
    expect(off.mode).toBe('live');
    expect(off.btcpay).toBeUndefined();
  });

  it('uses testnet relays and indexers for ANGOR_NETWORK=testnet unless given', () => {
    const c = load({ ANGOR_NETWORK: 'Testnet' });
    expect(c.angor.network).toBe('testnet');
    expect(c.angor.relays).toEqual(['wss://relay.angor.io', 'wss://relay2.angor.io']);
    const custom = load({ ANGOR_NETWORK: 'testnet', NOSTR_RELAYS: 'ws://127.0.0.1:7777', ANGOR_INDEXER_URLS: 'http://127.0.0.1:1/' });
    expect(custom.angor.relays).toEqual(['ws://127.0.0.1:7777']);
    expect(custom.angor.indexerUrls).toEqual(['http://127.0.0.1:1']);
  });
});

describe('secrets from files', () => {
  it('reads <NAME>_FILE and strips the trailing newline', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'key'), 'secret-api-key-1234\n');
    writeFileSync(join(dir, 'hook'), 'whsec-9876');
    const c = load({
      BTCPAY_URL: 'https://b.example',
      BTCPAY_API_KEY_FILE: join(dir, 'key'),
      BTCPAY_WEBHOOK_SECRET_FILE: join(dir, 'hook'),
      METRICS_TOKEN_FILE: join(dir, 'hook'),
    });
    expect(c.btcpay?.apiKey).toBe('secret-api-key-1234');
    expect(c.btcpay?.webhookSecret).toBe('whsec-9876');
    expect(c.metricsToken).toBe('whsec-9876');
  });

  it('refuses both forms at once and names an unreadable file', () => {
    expect(errorOf(() => load({ ADMIN_TOKEN: 'a', ADMIN_TOKEN_FILE: '/x' }))).toBe(
      'ADMIN_TOKEN: set either ADMIN_TOKEN or ADMIN_TOKEN_FILE, not both',
    );
    expect(errorOf(() => load({ ADMIN_TOKEN_FILE: '/nonexistent/token' }))).toBe(
      'ADMIN_TOKEN_FILE: cannot read secret file "/nonexistent/token" (ENOENT)',
    );
  });
});

describe('bad values give one clear line naming the variable', () => {
  it.each([
    [{ PORT: 'abc' }, 'PORT: must be an integer from 0 to 65535 (got "abc")'],
    [{ PORT: '70000' }, 'PORT: must be an integer from 0 to 65535 (got "70000")'],
    [{ SYNC_SCHEDULE: 'every 5 minutes' }, 'SYNC_SCHEDULE: must be a 5-field cron expression such as "*/5 * * * *" (got "every 5 minutes")'],
    [{ SYNC_SCHEDULE: '*/5 * * * * *' }, 'SYNC_SCHEDULE: must be a 5-field cron expression such as "*/5 * * * *" (got "*/5 * * * * *")'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL:'],
    [{ ANGOR_ENABLE: 'maybe' }, 'ANGOR_ENABLE must be true or false (got "maybe")'],
    [{ ANGOR_NETWORK: 'regtest' }, 'ANGOR_NETWORK: must be mainnet or testnet (got "regtest")'],
    [{ BTCPAY_URL: 'ftp://x' }, 'BTCPAY_URL: must be an http(s) URL (got "ftp://x")'],
    [{ BTCPAY_URL: 'https://b.example' }, 'BTCPAY_API_KEY: required when BTCPAY_URL is set'],
    [{ NOSTR_RELAYS: 'https://relay.example' }, 'NOSTR_RELAYS: "https://relay.example" is not a ws: or wss: URL'],
    [{ DEMO: 'perhaps' }, 'DEMO: must be auto, true or false (got "perhaps")'],
    [{ WEBHOOK_RATE_LIMIT: '-1' }, 'WEBHOOK_RATE_LIMIT: must be an integer'],
  ])('%j', (env, expected) => {
    const msg = errorOf(() => load(env as Record<string, string>));
    expect(msg.startsWith(expected)).toBe(true);
    expect(msg).not.toContain('\n');
  });
});

describe('.env file', () => {
  it('is read when present, and the real environment wins over it', () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.env'), 'PORT=9999\nLOG_LEVEL=debug\n');
    const c = load({ LOG_LEVEL: 'warn' }, dir);
    expect(c.port).toBe(9999);
    expect(c.logLevel).toBe('warn');
  });
});
