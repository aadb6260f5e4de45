// zod schemas for everything Angor sends us: indexer JSON (FACTS.md 1.5), Nostr events (NIP-01)
// and the JSON inside them (kind 3030/30078 project info, kind 0 profile; FACTS.md 2.2, 2.3).
// Unknown fields are ignored (the serializer writes computed extras we do not need).
import { z } from 'zod';

const hex = (len: number) => z.string().regex(new RegExp(`^[0-9a-f]{${len}}$`), `must be ${len} lowercase hex characters`);
const sats = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** The `angor1…` project identifier (bech32, hrp angor). Bounded: it becomes a label value. */
export const projectIdentifier = z.string().regex(/^angor1[02-9ac-hj-np-z]{6,87}$/, 'must be an angor1… bech32 identifier');

/** 1.5a: a project list item. */
export const indexerProjectSchema = z.object({
  founderKey: hex(66),
  projectIdentifier,
  createdOnBlock: z.number().int().nonnegative(),
  trxId: hex(64),
  nostrEventId: hex(64),
});
export type IndexerProject = z.infer<typeof indexerProjectSchema>;

export const indexerProjectListSchema = z.array(indexerProjectSchema);

/** 1.5b: a single project (adds totalInvestmentsCount). */
export const indexerProjectDetailSchema = indexerProjectSchema.extend({
  totalInvestmentsCount: z.number().int().nonnegative().optional(),
});

/** 1.5c: project stats. [I] lacks amountSpentSoFarByFounder in older versions, hence the default. */
export const indexerStatsSchema = z.object({
  investorCount: z.number().int().nonnegative(),
  amountInvested: sats,
  amountSpentSoFarByFounder: sats.default(0),
  amountInPenalties: sats.default(0),
  countInPenalties: z.number().int().nonnegative().default(0),
});
export type IndexerStats = z.infer<typeof indexerStatsSchema>;

/** A NIP-01 event as it arrives from a relay (signature checked separately). */
export const nostrEventSchema = z.object({
  id: hex(64),
  pubkey: hex(64),
  created_at: z.number().int().nonnegative(),
  kind: z.number().int().nonnegative(),
  tags: z.array(z.array(z.string())),
  content: z.string(),
  sig: hex(128),
});
export type NostrEvent = z.infer<typeof nostrEventSchema>;

/** Unix seconds; DateTime.MinValue (about -62135596800) and anything below 0 mean "unset". */
const unixSeconds = z
  .number()
  .int()
  .transform((v) => (v < 0 ? null : v));

export const stageSchema = z.object({
  // Percent 0–100 (decimal); the stages of a project sum to 100.
  amountToRelease: z.number().min(0).max(100),
  releaseDate: z.number().int().nonnegative(),
});
export type Stage = z.infer<typeof stageSchema>;

/** 2.2: the project info JSON inside a kind 3030 (or legacy 30078) event. */
export const projectInfoContentSchema = z.object({
  version: z.number().int().optional(),
  projectType: z.number().int().min(0).max(2).optional(),
  founderKey: hex(66),
  founderRecoveryKey: hex(66).optional(),
  projectIdentifier,
  nostrPubKey: hex(64).optional(),
  networkName: z.string().max(32).optional(),
  startDate: unixSeconds.optional(),
  endDate: unixSeconds.optional(),
  expiryDate: unixSeconds.optional(),
  penaltyDays: z.number().int().nonnegative().optional(),
  // Integer sats today; a decimal BTC number in events from before 2025-02-06 (see project-info.ts).
  targetAmount: z.number().nonnegative(),
  stages: z.array(stageSchema).default([]),
});
export type ProjectInfoContent = z.infer<typeof projectInfoContentSchema>;

/** 2.3: kind 0 profile. Angor writes displayName, other clients display_name: accept both. */
export const profileContentSchema = z.object({
  name: z.string().optional().catch(undefined),
  displayName: z.string().optional().catch(undefined),
  display_name: z.string().optional().catch(undefined),
});
export type ProfileContent = z.infer<typeof profileContentSchema>;
