// Unref'd one-shot timers for the simulator's live traffic, all cancelled together on stop.
// A callback that throws is ignored: the invoice it acted on moved on meanwhile (e.g. expired).
export class TimerSet {
  private readonly timers = new Set<NodeJS.Timeout>();
  private active = false;

  get running(): boolean {
    return this.active;
  }

  start(): void {
    this.active = true;
  }

  later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.active) return;
      try {
        fn();
      } catch {
        // nothing to do: see above
      }
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  stop(): void {
    this.active = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
