import { defineConfig } from 'vitest/config'

/**
 * Two projects: `unit` (pure, milliseconds, no servers) and `devnet` (real anvil chains started
 * once by test/devnet.globalSetup.ts; each test reverts to a snapshot). Files: `*.test.ts` are
 * unit tests, `*.devnet.test.ts` need the devnet.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['**/*.test.ts'],
          exclude: ['**/*.devnet.test.ts', '**/*.e2e.test.ts', 'node_modules/**', '.devnet/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'devnet',
          include: ['**/*.devnet.test.ts'],
          exclude: ['node_modules/**', '.devnet/**'],
          globalSetup: ['test/devnet.globalSetup.ts'],
          // One devnet is shared: its files run one after another, each test reverting to a snapshot.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
})
