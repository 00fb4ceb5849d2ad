import { defineConfig } from 'vitest/config'

/**
 * Three tiers, named by what a test touches (file suffix decides):
 * - `pure`   — `*.test.ts`: no I/O at all (no files, sockets, processes, store); functions of data.
 * - `local`  — `*.local.test.ts`: a real SQLite file, HTTP servers and child processes on
 *              127.0.0.1, temp files; no chain.
 * - `devnet` — `*.devnet.test.ts`: real anvil chains started once by test/devnet.globalSetup.ts;
 *              each test reverts to a snapshot.
 * `npm test` runs all three; `npm run test:pure|test:local|test:devnet` one. No test asserts
 * wall-clock time (speed is measured in bench/ only).
 */
const common = ['node_modules/**', '.devnet/**', 'dist/**']

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'pure',
          include: ['**/*.test.ts'],
          exclude: ['**/*.local.test.ts', '**/*.devnet.test.ts', ...common],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'local',
          include: ['**/*.local.test.ts'],
          exclude: common,
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'devnet',
          include: ['**/*.devnet.test.ts'],
          exclude: common,
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
