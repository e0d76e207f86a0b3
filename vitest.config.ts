import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/reporters/plain-summary.ts'],
    // Privileged tests build namespaces and containers; they share the kernel, so
    // files run one at a time and each test has room for real captures.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
