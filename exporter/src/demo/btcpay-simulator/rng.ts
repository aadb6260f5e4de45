// Seeded randomness, so a simulated history (and its ids) is the same on every run with one seed.
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** mulberry32: uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }

  hex(nBytes: number): string {
    return Buffer.from(this.bytes(nBytes)).toString('hex');
  }

  /** Base58 of n random bytes, the shape of BTCPay's ids (16 bytes ≈ 22 chars, 32 ≈ 44). */
  base58(nBytes: number): string {
    let n = BigInt(`0x${Buffer.from(this.bytes(nBytes)).toString('hex') || '0'}`);
    let s = '';
    while (n > 0n) {
      s = BASE58[Number(n % 58n)] + s;
      n /= 58n;
    }
    return s || '1';
  }
}
