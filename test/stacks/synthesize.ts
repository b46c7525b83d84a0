/**
 * The stack tests' syntheses of one app, in a process of its own (global-setup.ts starts one per
 * app, at the same time):
 *
 *   node --import tsx test/stacks/synthesize.ts <app> <run directory> <stage>...
 *
 * For each stage, in order: builds the app as sst.config.ts composes it (synthesis.ts `buildApp`:
 * new stacks are included as they are added there), runs the cdk-nag packs over it, finishes it
 * (SST bundles every handler), synthesizes it once and writes into the stage's directory
 * (cache.ts) each stack's template (`<stack id>.json`) and `result.json` (`SynthesisResult`: the
 * stacks, their dependencies and nag reports — or the error, which the test files reading it
 * then fail with).
 *
 * A process per app: SST's project, app and deferred-task queue are process globals, so a process
 * finishes one app at a time — and one process for all stages of an app lets them share their
 * bundles (synthesis.ts `shareBundlesAcrossStages`): the home app's handlers are bundled once per
 * run, not once per stage. SST's bundles and the cloud assembly (CDK_OUTDIR, with a copy of
 * every bundle) go into the stage's directory too, so that the run's teardown removes them.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { initProject } from "sst/project.js";
import { apps } from "../../stacks/config";
import { type AppKey, type SynthesisResult, synthesisDirectory } from "./cache";
import {
  buildApp,
  checkHandlers,
  nag,
  projectRoot,
  regionId,
  setOutputDirectory,
  shareBundlesAcrossStages,
  synthesisEnv,
} from "./synthesis";

const [app, run, ...stages] = process.argv.slice(2) as [AppKey, string, ...string[]];
if (!app || !(app in apps) || !run || stages.length === 0) {
  console.error(`usage: synthesize.ts <${Object.keys(apps).join("|")}> <run directory> <stage>...`);
  process.exit(2);
}

/** result.json appears whole or not at all: the parent reads it once this process exits. */
function writeResult(directory: string, result: SynthesisResult): void {
  writeFileSync(path.join(directory, "result.json.partial"), JSON.stringify(result));
  renameSync(path.join(directory, "result.json.partial"), path.join(directory, "result.json"));
}

async function synthesize(stage: string): Promise<SynthesisResult> {
  const started = Date.now();
  const directory = synthesisDirectory(run, app, stage);
  setOutputDirectory(directory);
  // CDK's App reads it when constructed: this stage's cloud assembly in this stage's directory.
  process.env.CDK_OUTDIR = path.join(directory, "cdk.out");

  const functions = new Map<string, string>();
  const built = buildApp(stage, apps[app], (fn, stack) => functions.set(stack.node.id, fn.name));
  const nagged = await nag(built, { finish: true });
  const stacks = nagged.map(({ stack, template, report }) => {
    const file = `${stack.node.id}.json`;
    writeFileSync(path.join(directory, file), JSON.stringify(template));
    return {
      id: stack.node.id,
      // Stacks not added through sst.config.ts's `app.stack` (none today) have no function.
      function: functions.get(stack.node.id) ?? "",
      stackName: stack.stackName,
      template: file,
      dependencies: stack.dependencies.map((dependency) => dependency.node.id),
      nag: report,
    };
  });
  return { app, stage, region: apps[app].region, stacks, seconds: Math.round((Date.now() - started) / 1000) };
}

const errorText = (error: unknown) => (error instanceof Error ? (error.stack ?? error.message) : String(error));

for (const stage of stages) {
  const directory = synthesisDirectory(run, app, stage);
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
}
let failed = false;
try {
  process.chdir(projectRoot);
  Object.assign(process.env, synthesisEnv);
  await initProject({ stage: "test" });
  // After initProject: it loads .env / .env.test over process.env.
  process.env.CAREBOOK_REGION_ID = regionId;
  checkHandlers();
  await shareBundlesAcrossStages(path.join(run, `${app}-sourcemaps`));
} catch (error) {
  // Nothing can be synthesized: every stage fails with this.
  for (const stage of stages) writeResult(synthesisDirectory(run, app, stage), { app, stage, error: errorText(error) });
  process.exit(1);
}
for (const stage of stages) {
  // One stage's failure is its own: the next stage is synthesized still (a new App resets SST's app state).
  try {
    writeResult(synthesisDirectory(run, app, stage), await synthesize(stage));
  } catch (error) {
    failed = true;
    writeResult(synthesisDirectory(run, app, stage), { app, stage, error: errorText(error) });
  }
}
process.exit(failed ? 1 : 0);
