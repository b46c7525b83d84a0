import { defineConfig } from "vitest/config";

/**
 * `npm test` runs every project: pure unit tests, stack synthesis tests, the local runtime's
 * own tests, integration tests against one local runtime (DynamoDB Local in memory) started
 * once per run by test/integration/global-setup.ts, workflow tests against another one on
 * the controllable clock (test/workflows/global-setup.ts), and browser tests (Debian's Chromium)
 * against a third that serves the built web app (test/browser/global-setup.ts).
 */
export default defineConfig({
  test: {
    // Node 20 here, nodejs22.x in Lambda: known, and package-lock.json pins the SDK.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      {
        extends: true,
        test: {
          name: "stacks",
          include: ["test/stacks/**/*.test.ts"],
          // Synthesizes every app of sst.config.ts once per run, in the stages the files share;
          // the files read those templates (test/stacks/synth.ts).
          globalSetup: ["test/stacks/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      { extends: true, test: { name: "local", include: ["test/local/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 } },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/integration/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          globalSetup: ["test/browser/global-setup.ts"],
          // One Chromium at a time, after every other project (groupOrder): on 2 cores the
          // 2-second real-time check must measure the app, not a machine busy synthesizing stacks.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: "workflows",
          include: ["test/workflows/**/*.test.ts"],
          globalSetup: ["test/workflows/global-setup.ts"],
          // The runtime's clock is shared: one file at a time. (Per project in vitest 4: the
          // project gets maxWorkers 1, and such files run one by one in a group of their own,
          // after the other projects' files.)
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
