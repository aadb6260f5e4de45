// Vitest setup file (vitest.config.ts): every answer a BTCPay simulator in the test process sends,
// and every webhook body it posts, is checked against BTCPay's own API description after each
// test (openapi.ts). A test that breaks the contract fails with the finding; nothing is checked
// (or loaded) in test files that start no simulator.
import { afterAll, afterEach, expect, type TestContext } from 'vitest';
import { observeSimulators, type SimAnswer, type SimWebhookPost } from '../../../exporter/src/demo/btcpay-simulator/observer.js';
import type { BtcpayContract } from './openapi.js';

/** Tests that make the simulator play a server the 2.4.1 description does not describe, on purpose. */
export const DELIBERATE: Array<{ test: RegExp; finding: RegExp; reason: string }> = [
  {
    test: /1\.x field names/,
    finding: /payment-methods → 200/,
    reason: 'the simulator plays a BTCPay 1.x server here (paymentMethod, cryptoCode, networkFee instead of the 2.x names)',
  },
];

const answers: SimAnswer[] = [];
const posts: SimWebhookPost[] = [];
observeSimulators({ answer: (a) => answers.push(a), webhook: (p) => posts.push(p) });

let contract: Promise<BtcpayContract> | undefined;

/** How many answers and webhook bodies were checked in this file so far. */
export const checked = { answers: 0, webhooks: 0 };

/** Checks what the simulators sent since the last call, and returns what is wrong (the queue is emptied). */
export async function takeContractFindings(): Promise<string[]> {
  if (answers.length === 0 && posts.length === 0) return [];
  contract ??= import('./openapi.js').then((m) => m.BtcpayContract.load());
  const c = await contract;
  const findings: string[] = [];
  for (const a of answers.splice(0)) {
    findings.push(...c.checkAnswer(a));
    checked.answers++;
  }
  for (const p of posts.splice(0)) {
    findings.push(...c.checkWebhook(p.body, p.signature));
    checked.webhooks++;
  }
  return [...new Set(findings)];
}

function fullName(ctx: TestContext | undefined): string {
  const parts: string[] = [];
  for (let t: { name: string; suite?: unknown } | undefined = ctx?.task; t; t = t.suite as typeof t) if (t.name) parts.unshift(t.name);
  return parts.join(' > ');
}

const check = async (ctx?: TestContext) => {
  const name = fullName(ctx);
  const deliberate = DELIBERATE.filter((d) => d.test.test(name));
  const findings = (await takeContractFindings()).filter((f) => !deliberate.some((d) => d.finding.test(f)));
  expect(findings, `the BTCPay simulator broke BTCPay's API description:\n${findings.join('\n')}`).toEqual([]);
};
afterEach((ctx) => check(ctx));
afterAll(() => check());
