import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Checks every BTCPay simulator answer and webhook body against BTCPay's swagger (test/contracts/).
    setupFiles: ['test/contracts/btcpay/check-simulator.setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real servers; two cores are plenty for two workers.
    maxWorkers: 2,
  },
});
