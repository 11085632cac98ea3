/**
 * vitest for every workspace. Tests run on Node's own type stripping (the module runner is off),
 * exactly as `node ingest/src/main.ts` runs the product: no second transform can accept code
 * that Node would refuse. Files run in child processes, three at a time: end-to-end files start
 * their own influxd, mosquitto and PostgreSQL, and this machine has two cores.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{models,broker,ingest,edge-agent,dashboards,test,scripts}/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    pool: 'forks',
    maxWorkers: 3,
    testTimeout: 300_000,
    hookTimeout: 300_000,
    teardownTimeout: 60_000,
    experimental: { viteModuleRunner: false, nodeLoader: false },
    coverage: {
      provider: 'v8',
      include: ['{models,broker,ingest,edge-agent,dashboards}/src/**/*.ts'],
      exclude: ['**/*.test.ts'],
      reporter: ['text-summary'],
    },
  },
});
