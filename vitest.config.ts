import { defineConfig } from 'vitest/config';

// Four projects: unit (pure logic, fast), integration (real libSQL files, the real Caddy binary, real
// sockets on loopback), e2e (network namespaces; root only) and browser (the dashboard in Debian's Chromium).
// Each test file says in its header what is real and what is simulated.
// The workspace packages (packages/*) resolve to their TypeScript sources under the gatehouse-source condition
// (their package.json `exports`), so tests run without a build; the rest are Vite's server defaults.
const conditions = ['gatehouse-source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/security/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Integration tests start Caddy processes and bind ports; two cores do not gain from more.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One Chromium and one stack at a time on two cores.
          fileParallelism: false,
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
