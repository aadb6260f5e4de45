// The simulator's notion of "now" (unix seconds): the wall clock in demo mode, a hand-driven one in tests.
export interface SimClock {
  now(): number;
}

export class SystemClock implements SimClock {
  now(): number {
    return Math.floor(Date.now() / 1000);
  }
}

export class ManualClock implements SimClock {
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
  advance(seconds: number): void {
    this.t += seconds;
  }
}
