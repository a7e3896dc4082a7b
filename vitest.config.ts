import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'policies/**/*.test.ts'],
    // Integration tests start real processes (dockerd clients, git, registries); give them room.
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
