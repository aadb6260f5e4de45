// Turns a project-info event (kind 3030, or legacy 30078) into the normalised project the store
// keeps, after checking that it really belongs to the indexer's project (FACTS.md 2.4) and to the
// configured network (2.5). Signatures are checked by the Nostr reader before this runs.
import type { AngorNetwork } from '../../config.js';
import { Decimal, MoneyParseError, btcToSats } from '../../money.js';
import type { AngorProjectRow } from '../../store/schema.js';
import { projectInfoContentSchema, stageSchema, type Stage } from './schemas.js';

export type ProjectType = 'invest' | 'fund' | 'subscribe';
export const PROJECT_TYPES: readonly ProjectType[] = ['invest', 'fund', 'subscribe'];

/** Event kinds that carry project info: 3030 today, 30078 before 2025-05-08. */
export const PROJECT_INFO_KINDS = [3030, 30078] as const;

/** Targets switched from decimal BTC to integer sats on 2025-02-06 (FACTS.md 2.2). */
export const SATS_SWITCH_AT = Date.UTC(2025, 1, 6) / 1000;

/** What the lifecycle derivation needs, plus the identity of the event it came from. */
export interface ProjectInfo {
  projectId: string;
  founderKey: string;
  nostrPubKey: string;
  eventId: string;
  eventKind: number;
  /** 1 when the event has no version (or < 2): always Invest, startDate ends the window. */
  version: number;
  type: ProjectType;
  startTime: number | null;
  endTime: number | null;
  expiryTime: number | null;
  targetSats: number;
  stages: Stage[];
}

export class ProjectInfoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProjectInfoError';
  }
}

const NETWORK_NAMES: Record<AngorNetwork, readonly string[]> = {
  // The app writes "Main"; the NIP draft's examples say "Bitcoin".
  mainnet: ['main', 'mainnet', 'bitcoin'],
  testnet: ['angornet', 'signet', 'testnet', 'testnet4'],
};

export function networkMatches(networkName: string | undefined, network: AngorNetwork): boolean {
  // v1 events carry no networkName; the indexer we read them from is already per network.
  if (networkName === undefined) return true;
  return NETWORK_NAMES[network].includes(networkName.trim().toLowerCase());
}

/**
 * The target in integer sats. A fractional number is decimal BTC; so is an integer in a v1 event
 * written before the switch (a "2" BTC target). Converted through the number's shortest decimal
 * form, never by multiplying floats (0.29 * 1e8 is 28999999.999999996).
 */
export function targetToSats(value: number, opts: { version: number; createdAt: number }): number {
  if (!Number.isFinite(value) || value < 0) throw new ProjectInfoError(`targetAmount is not a valid amount: ${value}`);
  const legacyBtc = !Number.isInteger(value) || (opts.version < 2 && opts.createdAt < SATS_SWITCH_AT && value < 21_000_000);
  if (!legacyBtc) {
    if (!Number.isSafeInteger(value)) throw new ProjectInfoError(`targetAmount out of range: ${value}`);
    return value;
  }
  try {
    return btcToSats(new Decimal(value).toFixed(), 'exact');
  } catch (err) {
    if (err instanceof MoneyParseError) throw new ProjectInfoError(`targetAmount ${value} BTC: ${err.message}`);
    throw err;
  }
}

export interface EventMeta {
  id: string;
  kind: number;
  pubkey: string;
  createdAt: number;
}

export interface Expected {
  projectIdentifier: string;
  founderKey: string;
  nostrEventId: string;
  network: AngorNetwork;
}

/** Parses and checks project-info content; throws ProjectInfoError saying what did not match. */
export function parseProjectInfo(content: string, meta: EventMeta, expected: Expected): ProjectInfo {
  if (!(PROJECT_INFO_KINDS as readonly number[]).includes(meta.kind)) {
    throw new ProjectInfoError(`event kind ${meta.kind} does not carry project info`);
  }
  if (meta.id !== expected.nostrEventId) throw new ProjectInfoError('event id differs from the on-chain nostrEventId');
  // Kind 3030 is reused by other apps with non-JSON content (FACTS.md 2.1).
  if (!content.trimStart().startsWith('{')) throw new ProjectInfoError('content is not a JSON object');
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    throw new ProjectInfoError('content is not valid JSON');
  }
  const parsed = projectInfoContentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ProjectInfoError(`content.${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const c = parsed.data;
  if (c.projectIdentifier !== expected.projectIdentifier) throw new ProjectInfoError('projectIdentifier differs from the indexer');
  if (c.founderKey !== expected.founderKey) throw new ProjectInfoError('founderKey differs from the indexer');
  if (c.nostrPubKey !== undefined && c.nostrPubKey !== meta.pubkey) throw new ProjectInfoError('nostrPubKey differs from the event author');
  if (!networkMatches(c.networkName, expected.network)) {
    throw new ProjectInfoError(`networkName ${JSON.stringify(c.networkName)} is not ${expected.network}`);
  }
  const version = c.version !== undefined && c.version >= 2 ? c.version : 1;
  const type: ProjectType = version < 2 ? 'invest' : PROJECT_TYPES[c.projectType ?? 0]!;
  return {
    projectId: c.projectIdentifier,
    founderKey: c.founderKey,
    nostrPubKey: meta.pubkey,
    eventId: meta.id,
    eventKind: meta.kind,
    version,
    type,
    startTime: c.startDate ?? null,
    endTime: c.endDate ?? null,
    expiryTime: c.expiryDate ?? null,
    targetSats: targetToSats(c.targetAmount, { version, createdAt: meta.createdAt }),
    // Only Invest has project-level stages (Fund/Subscribe stages are per investor).
    stages: type === 'invest' ? [...c.stages].sort((a, b) => a.releaseDate - b.releaseDate) : [],
  };
}

const stagesSchema = stageSchema.array();

/** Rebuilds the verified project info a row was written from (project-info events never change). */
export function rowToProjectInfo(row: AngorProjectRow): ProjectInfo | undefined {
  if (row.nostr_event_id === null || row.founder_key === null || row.nostr_pubkey === null || row.target_sats === null) return undefined;
  const stages = stagesSchema.safeParse(JSON.parse(row.stages_json));
  if (!stages.success || !(PROJECT_TYPES as readonly string[]).includes(row.project_type)) return undefined;
  return {
    projectId: row.project_id,
    founderKey: row.founder_key,
    nostrPubKey: row.nostr_pubkey,
    eventId: row.nostr_event_id,
    eventKind: row.nostr_event_kind ?? 3030,
    version: row.info_version,
    type: row.project_type as ProjectType,
    startTime: row.start_time,
    endTime: row.end_time,
    expiryTime: row.expiry_time,
    targetSats: row.target_sats,
    stages: stages.data,
  };
}
