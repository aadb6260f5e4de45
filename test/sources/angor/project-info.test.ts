import { describe, expect, it } from 'vitest';
import { ProjectInfoError, SATS_SWITCH_AT, networkMatches, parseProjectInfo, targetToSats } from '../../../exporter/src/sources/angor/project-info.js';
import { fixtures } from './helpers/fixtures.js';

const ev = fixtures.projectEvent;
const meta = { id: ev.id, kind: ev.kind, pubkey: ev.pubkey, createdAt: ev.created_at };
const expected = {
  projectIdentifier: fixtures.project.projectIdentifier,
  founderKey: fixtures.project.founderKey,
  nostrEventId: fixtures.project.nostrEventId,
  network: 'mainnet' as const,
};
const content = JSON.parse(ev.content) as Record<string, unknown>;
const withContent = (patch: Record<string, unknown>) => JSON.stringify({ ...content, ...patch });

describe('parseProjectInfo', () => {
  it('reads the contract fixture event', () => {
    const info = parseProjectInfo(ev.content, meta, expected);
    expect(info).toMatchObject({
      projectId: 'angor1qdzylr4qa0ps6hqmdwyuesygtvc0ztlr3m8drlz',
      version: 2,
      type: 'invest',
      targetSats: 250_000_000,
      startTime: 1778803200,
      endTime: 1782777600,
      expiryTime: 1804636800,
      nostrPubKey: ev.pubkey,
      eventKind: 3030,
    });
    expect(info.stages.map((s) => s.amountToRelease)).toEqual([25, 25, 25, 25]);
  });

  it('rejects an event that does not belong to the indexer project', () => {
    expect(() => parseProjectInfo(withContent({ projectIdentifier: 'angor1qaydmqq0nqwtdzk3cxz8vr2n0eqsvkr62szs889' }), meta, expected)).toThrow(/projectIdentifier/);
    expect(() => parseProjectInfo(withContent({ founderKey: `02${'a'.repeat(64)}` }), meta, expected)).toThrow(/founderKey/);
    expect(() => parseProjectInfo(ev.content, { ...meta, id: 'f'.repeat(64) }, expected)).toThrow(/nostrEventId/);
    expect(() => parseProjectInfo(withContent({ nostrPubKey: 'b'.repeat(64) }), meta, expected)).toThrow(/author/);
  });

  it('rejects other kinds and non-JSON content (kind 3030 is reused by other apps)', () => {
    expect(() => parseProjectInfo(ev.content, { ...meta, kind: 1 }, expected)).toThrow(ProjectInfoError);
    expect(() => parseProjectInfo('hello world', meta, expected)).toThrow(/not a JSON object/);
  });

  it('filters by network name', () => {
    expect(() => parseProjectInfo(withContent({ networkName: 'Angornet' }), meta, expected)).toThrow(/not mainnet/);
    expect(parseProjectInfo(withContent({ networkName: 'Angornet' }), meta, { ...expected, network: 'testnet' }).projectId).toBe(expected.projectIdentifier);
    expect(networkMatches('Bitcoin', 'mainnet')).toBe(true);
    expect(networkMatches('Liquid', 'mainnet')).toBe(false);
    expect(networkMatches('Liquid', 'testnet')).toBe(false);
    expect(networkMatches(undefined, 'testnet')).toBe(true);
  });

  it('treats negative dates (DateTime.MinValue) as unset and ignores stages of Fund projects', () => {
    const info = parseProjectInfo(withContent({ projectType: 1, endDate: -62135596800, targetAmount: 0 }), meta, expected);
    expect(info.type).toBe('fund');
    expect(info.endTime).toBeNull();
    expect(info.stages).toEqual([]);
  });

  it('treats a missing or < 2 version as v1 Invest whatever projectType says', () => {
    const { version: _v, ...rest } = content;
    const info = parseProjectInfo(JSON.stringify({ ...rest, projectType: 2 }), meta, expected);
    expect(info.version).toBe(1);
    expect(info.type).toBe('invest');
  });
});

describe('targetToSats', () => {
  const legacy = { version: 1, createdAt: SATS_SWITCH_AT - 86_400 };
  const current = { version: 2, createdAt: SATS_SWITCH_AT + 86_400 };

  it('parses legacy decimal BTC exactly, where float multiplication would be off', () => {
    expect(0.29 * 1e8).not.toBe(29_000_000); // the trap
    expect(targetToSats(0.29, legacy)).toBe(29_000_000);
    expect(targetToSats(1.1, legacy)).toBe(110_000_000);
    expect(targetToSats(0.5, legacy)).toBe(50_000_000);
    expect(targetToSats(0.00081532, legacy)).toBe(81_532);
    expect(targetToSats(0.0000001, legacy)).toBe(10); // 1e-7 prints in exponent form
    expect(targetToSats(20999999.99999999, legacy)).toBe(2_099_999_999_999_999);
  });

  it('reads an integer in a v1 event from before the switch as BTC, otherwise as sats', () => {
    expect(targetToSats(2, legacy)).toBe(200_000_000);
    expect(targetToSats(250_000_000, current)).toBe(250_000_000);
    expect(targetToSats(2, { version: 1, createdAt: SATS_SWITCH_AT + 1 })).toBe(2);
    // A fractional value is BTC even in a new event.
    expect(targetToSats(0.25, current)).toBe(25_000_000);
  });

  it('rejects sub-satoshi BTC amounts', () => {
    expect(() => targetToSats(0.000000015, legacy)).toThrow(ProjectInfoError);
  });
});
