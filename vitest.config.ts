import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic, beside the code, no servers) and `integration`
// (under test/, against the real Kafka, schema registry and Redis chosen by the global setup).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['services/**/*.test.ts', 'schemas/**/*.test.ts', 'deploy/**/*.test.ts'],
          environment: 'node',
          // Some unit tests generate a whole scenario's events (seconds of CPU); vitest's 5 s
          // default failed them on a loaded 2-core machine. Tests never assert speed.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/setup/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
