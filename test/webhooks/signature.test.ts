import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signatureHeader, signaturePreview, signBody, verifySignature } from '../../exporter/src/webhooks/signature.js';
import { EXPIRED_BODY, FACTS_SECRET, RECEIVED_PAYMENT_BODY, SETTLED_BODY } from './fixtures.js';

const settled = Buffer.from(SETTLED_BODY, 'utf8');

describe('BTCPay-Sig (FACTS.md a, worked example)', () => {
  it('uses the exact 491 body bytes of the example', () => {
    expect(settled.length).toBe(491);
    expect(createHash('sha256').update(settled).digest('hex')).toBe('f35b5d7a6cc6539f7a2ff7c33778fbc422fc62f09b0a610dbd5bbaa310a4a7dc');
  });

  it('verifies the worked example', () => {
    const header = 'sha256=4334f966eeed5a92e0ff86f7a9a8f2d1030743c0914cf1f52614ab52afa93de7';
    expect(signBody(settled, FACTS_SECRET)).toBe(header);
    expect(verifySignature(settled, header, FACTS_SECRET)).toEqual({ ok: true });
  });

  it('rejects the compact re-serialisation (negative control 1)', () => {
    const compact = Buffer.from(JSON.stringify(JSON.parse(SETTLED_BODY)), 'utf8');
    expect(signBody(compact, FACTS_SECRET)).toBe('sha256=50d9776f92b96002de4b6b5ebcf4cdeae3e8936dce4c674fde3c021dc06e4195');
    // The header BTCPay sent was computed over the indented bytes: the compact body must fail.
    expect(verifySignature(compact, 'sha256=4334f966eeed5a92e0ff86f7a9a8f2d1030743c0914cf1f52614ab52afa93de7', FACTS_SECRET)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects the body with a trailing newline (negative control 2)', () => {
    const withNewline = Buffer.from(`${SETTLED_BODY}\n`, 'utf8');
    expect(signBody(withNewline, FACTS_SECRET)).toBe('sha256=ea7c0593e8249fc6731891779916375f365b0ab546aa9fff0e7849362331d45c');
    expect(verifySignature(withNewline, 'sha256=4334f966eeed5a92e0ff86f7a9a8f2d1030743c0914cf1f52614ab52afa93de7', FACTS_SECRET).ok).toBe(false);
  });

  it('verifies the other two examples', () => {
    const rp = Buffer.from(RECEIVED_PAYMENT_BODY, 'utf8');
    const ex = Buffer.from(EXPIRED_BODY, 'utf8');
    expect(rp.length).toBe(780);
    expect(ex.length).toBe(391);
    expect(verifySignature(rp, 'sha256=f8631de5c887c0c0964e5a4738ae4d4cf370ba66c7d82ded5641c0e70c040707', FACTS_SECRET).ok).toBe(true);
    expect(verifySignature(ex, 'sha256=6f040cec28b17223bbc985c7b7afee0202f2de58c6f83f8d71e51c923888468d', FACTS_SECRET).ok).toBe(true);
    // Signatures are not interchangeable between bodies.
    expect(verifySignature(ex, 'sha256=f8631de5c887c0c0964e5a4738ae4d4cf370ba66c7d82ded5641c0e70c040707', FACTS_SECRET).ok).toBe(false);
  });

  it('fails with another secret, and tells a missing header from a malformed one', () => {
    const header = signBody(settled, FACTS_SECRET);
    expect(verifySignature(settled, header, 'another-secret').ok).toBe(false);
    expect(verifySignature(settled, undefined, FACTS_SECRET)).toEqual({ ok: false, reason: 'missing_signature' });
    expect(verifySignature(settled, '  ', FACTS_SECRET)).toEqual({ ok: false, reason: 'missing_signature' });
    for (const bad of ['4334f966eeed5a92e0ff86f7a9a8f2d1030743c0914cf1f52614ab52afa93de7', 'sha1=abc', 'sha256=', 'sha256=zz', `${header}00`, header.slice(0, -2)]) {
      expect(verifySignature(settled, bad, FACTS_SECRET)).toEqual({ ok: false, reason: 'bad_signature' });
    }
  });

  it('finds the header whatever its case and previews only a few characters', () => {
    expect(signatureHeader({ 'BTCPay-Sig': 'sha256=ab' })).toBe('sha256=ab');
    expect(signatureHeader({ 'btcpay-sig': 'sha256=cd' })).toBe('sha256=cd');
    expect(signatureHeader({ 'BTCPAY-SIG': ['a', 'b'] })).toBe('a, b');
    expect(signatureHeader({ other: 'x' })).toBeUndefined();
    const preview = signaturePreview(signBody(settled, FACTS_SECRET))!;
    expect(preview).toBe('sha256=4334f966…');
    expect(signaturePreview('<script>')).toBe('?script?');
    expect(signaturePreview(undefined)).toBeNull();
  });
});
