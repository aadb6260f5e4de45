// Angor projects, read from angor_projects at scrape time. Lifecycle state and released-stages
// ratio are derived here, from stored dates and the clock: they change with time, not with data.
import { Gauge } from 'prom-client';
import type { Kysely } from 'kysely';
import { LIFECYCLE_STATES, fundingEndsAt, lifecycleState, releasedStagesRatio, type LifecycleState } from '../sources/angor/lifecycle.js';
import { rowToProjectInfo } from '../sources/angor/project-info.js';
import { readAngorProjects } from '../store/running-totals.js';
import type { AngorProjectRow, Database } from '../store/schema.js';
import type { Collector, PromRegistry } from './registry.js';

type ProjectGauge = Gauge<'project'>;

export class AngorCollector implements Collector {
  readonly name = 'angor';
  private readonly info: Gauge<'project' | 'name' | 'network'>;
  private readonly projects: Gauge<'state'>;
  private readonly perProject: Array<[ProjectGauge, (p: AngorProjectFigures) => number | null]>;

  constructor(
    registry: PromRegistry,
    private readonly db: Kysely<Database>,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    const g = (name: string, help: string): ProjectGauge =>
      new Gauge({ name, help, labelNames: ['project'] as const, registers: [registry] });
    this.info = new Gauge({
      name: 'angor_project_info',
      help: 'Angor project metadata; always 1. name is the display name of its newest Nostr profile.',
      labelNames: ['project', 'name', 'network'] as const,
      registers: [registry],
    });
    this.projects = new Gauge({
      name: 'angor_projects',
      help: 'Angor projects per lifecycle state (upcoming, funding, target_reached, succeeded, failed, expired).',
      labelNames: ['state'] as const,
      registers: [registry],
    });
    this.perProject = [
      [g('angor_project_target_sats', 'Funding target of the project in sats (0 = no target, Fund and Subscribe projects).'), (p) => p.target],
      [g('angor_project_raised_sats', 'Sats invested in the project (indexer amountInvested).'), (p) => p.raised],
      [g('angor_project_investments', 'Investment transactions in the project (indexer investorCount).'), (p) => p.investments],
      [g('angor_project_spent_by_founder_sats', 'Sats of released stages the founder has spent.'), (p) => p.spent],
      [g('angor_project_penalties_sats', 'Sats investors moved into penalty-locked recovery outputs.'), (p) => p.penalties],
      [g('angor_project_end_timestamp_seconds', 'When the project stops taking investments (Fund and Subscribe: expiry).'), (p) => p.end],
      [g('angor_project_stages_released_ratio', 'Share (0-1) of the funds whose stage release date has come.'), (p) => p.ratio],
    ];
  }

  async collect(): Promise<void> {
    const rows = await readAngorProjects(this.db);
    const now = this.now();
    const counts = new Map<LifecycleState, number>(LIFECYCLE_STATES.map((s) => [s, 0]));
    this.info.reset();
    for (const [gauge] of this.perProject) gauge.reset();
    for (const row of rows) {
      const derived = angorProjectFigures(row, now);
      if (!derived) continue;
      counts.set(derived.state, (counts.get(derived.state) ?? 0) + 1);
      const project = row.project_id;
      this.info.set({ project, name: row.name ?? '', network: row.network }, 1);
      for (const [gauge, value] of this.perProject) {
        const v = value(derived);
        if (v !== null) gauge.set({ project }, v);
      }
    }
    for (const [state, n] of counts) this.projects.set({ state }, n);
  }
}

/** What the collector exports of a project (and the status page shows); undefined while its project info is incomplete. */
export function angorProjectFigures(row: AngorProjectRow, now: number): AngorProjectFigures | undefined {
  const info = rowToProjectInfo(row);
  if (!info) return undefined;
  const input = { ...info, raisedSats: row.raised_sats };
  const state = lifecycleState(input, now);
  return {
    state,
    target: info.targetSats,
    raised: row.raised_sats,
    investments: row.investments,
    spent: row.spent_by_founder_sats,
    penalties: row.penalties_sats,
    end: fundingEndsAt(input),
    ratio: releasedStagesRatio(info.stages, now, state),
  };
}

export interface AngorProjectFigures {
  state: LifecycleState;
  target: number;
  raised: number;
  investments: number;
  spent: number;
  penalties: number;
  end: number | null;
  ratio: number;
}
