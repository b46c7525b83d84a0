/**
 * The run's synthesis cache: which syntheses global-setup.ts has made once per run, and the
 * layout they are written in. Light on purpose (no SST, CDK or cdk-nag at run time): the global
 * setup imports it in vitest's main process.
 *
 *   <run directory>/<app>-<stage>/result.json     SynthesisResult
 *   <run directory>/<app>-<stage>/<stack id>.json  each stack's template
 *   <run directory>/<app>-<stage>/artifacts, cdk.out  SST's bundles, the cloud assembly
 *   <run directory>/<app>-sourcemaps               bundles' sourcemaps shared across the stages
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { apps } from "../../stacks/config";
import type { StackReport } from "./synthesis";

/** The apps sst.config.ts composes (stacks/config.ts), by key: `home`, `edge`. */
export type AppKey = keyof typeof apps;

/**
 * The stages every app is synthesized in, once per run, finished and with the cdk-nag packs: a
 * kept stage ("prod": backups, retained data) and a throwaway one ("test": no backups, data
 * destroyed with the stack). Tests of other stages (an identity provider, countries) build those
 * themselves, unfinished (synth.ts `initProjectInBeforeAll`).
 */
export const sharedStages = ["prod", "test"] as const;
export type SharedStage = (typeof sharedStages)[number];

/** Every app of stacks/config.ts in every shared stage: what the global setup synthesizes. */
export const sharedSyntheses: Array<{ app: AppKey; stage: SharedStage }> = (Object.keys(apps) as AppKey[]).flatMap(
  (app) => sharedStages.map((stage) => ({ app, stage })),
);

/** What a synthesis child leaves in its directory: its stacks in the app's order, or why it failed. */
export type SynthesisResult =
  | {
      app: AppKey;
      stage: string;
      /** The app's AWS region (stacks/config.ts `apps`). */
      region: string;
      stacks: Array<{
        /** The stack's construct id, as SST prefixes it: `test-carebook-Events`. */
        id: string;
        /** The name of the stack function sst.config.ts added it with (`Events`). */
        function: string;
        stackName: string;
        /** The file of its template in the synthesis directory. */
        template: string;
        /** The ids of the stacks it deploys after (`Stack.dependencies`, references included). */
        dependencies: string[];
        nag: StackReport;
      }>;
      seconds: number;
    }
  | { app: AppKey; stage: string; error: string };

/** The directory of one synthesis in a run's directory. */
export function synthesisDirectory(runDirectory: string, app: AppKey, stage: string): string {
  return path.join(runDirectory, `${app}-${stage}`);
}

export function readSynthesisResult(runDirectory: string, app: AppKey, stage: string): SynthesisResult {
  return JSON.parse(readFileSync(path.join(synthesisDirectory(runDirectory, app, stage), "result.json"), "utf8"));
}
