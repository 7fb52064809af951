import { defineConfig } from 'vitest/config';
import { CEB_PACK_SUITES, cebPackFound } from './test/setup/ceb-pack.js';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Without the customs specification pack on this machine its suites cannot run (the run says so).
    exclude: ['**/node_modules/**', ...(cebPackFound() ? [] : CEB_PACK_SUITES)],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    allowOnly: !process.env.CI,
    pool: 'forks',
    // Ends the output with a line when the PostgreSQL suites were left out (test/setup/global.ts).
    globalSetup: ['test/setup/global.ts'],
    // A temp audit directory per test file instead of ~/.local/state/waygate/audit.
    setupFiles: ['test/setup/audit-dir.ts'],
  },
});
