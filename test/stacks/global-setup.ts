/**
 * Synthesizes every app of sst.config.ts in every shared stage (cache.ts `sharedSyntheses`) once
 * per run, before the stack test files run, and hands them the directory of the templates: each
 * file reads them (synth.ts) instead of synthesizing — and bundling every handler — on its own.
 *
 * One child process per app (synthesize.ts), all started at once: SST's app is a process global,
 * and one process per app lets its stages share their bundles. Bundling the home app's handlers
 * is the bulk of the work; SST runs cores − 1 builds at a time by default (one, on two cores),
 * here as many as there are cores, since the edge app's process has little to build. A failed
 * synthesis does not stop the run: its error is written in its place, and every test reading it
 * fails with it.
 *
 * The directory is new per run (os.tmpdir()), removed after it; in watch mode a rerun of stack
 * test files synthesizes again first, so a changed stack is never read from a stale template.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { type AppKey, readSynthesisResult, sharedSyntheses, type SynthesisResult, synthesisDirectory } from "./cache";

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's synthesis cache (cache.ts), read through synth.ts. */
    stackSynthesisDirectory: string;
  }
}

const projectRoot = fileURLToPath(new URL("../..", import.meta.url));
/** Far above an app's syntheses on a busy machine (a few minutes). */
const TIMEOUT_MS = 30 * 60_000;

/** Runs synthesize.ts for one app's stages; resolves once each stage has its result.json, failed or not. */
function synthesize(run: string, app: AppKey, stages: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const started = Date.now();
  return new Promise<void>((done) => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/stacks/synthesize.ts", app, run, ...stages], {
      cwd: projectRoot,
      stdio: ["ignore", "ignore", "pipe"],
      env,
    });
    // Its stderr (SST's and the SDK's notices) is kept for a failure's message only.
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-20_000);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      const seconds = Math.round((Date.now() - started) / 1000);
      for (const stage of stages) {
        const directory = synthesisDirectory(run, app, stage);
        if (existsSync(path.join(directory, "result.json"))) continue;
        // Died before it could say why (killed, out of memory, a syntax error in its imports).
        const result: SynthesisResult = {
          app,
          stage,
          error: `synthesize.ts ${app} exited with ${signal ?? code} after ${seconds} s:\n${stderr}`,
        };
        mkdirSync(directory, { recursive: true });
        writeFileSync(path.join(directory, "result.json"), JSON.stringify(result));
      }
      const each = stages.map((stage) => {
        const result = readSynthesisResult(run, app, stage);
        return "error" in result ? `${stage} FAILED` : `${stage} ${result.seconds} s`;
      });
      console.info(`stack synthesis of the ${app} app: ${seconds} s (${each.join(", ")})`);
      done();
    });
  });
}

export default async function setup(project: TestProject) {
  const run = mkdtempSync(path.join(os.tmpdir(), "carebook-stacks-"));
  // A run's directory holds about a gigabyte (bundles, cloud assemblies): removed by the teardown,
  // and also when the run ends before the teardown is registered (Ctrl-C during the synthesis).
  const remove = () => rmSync(run, { recursive: true, force: true });
  process.once("exit", remove);
  const env = {
    ...process.env,
    // The test workers' environment (vitest.config.ts `env`) for the children too.
    ...project.config.env,
    SST_BUILD_CONCURRENCY: process.env.SST_BUILD_CONCURRENCY ?? String(os.availableParallelism()),
  };
  const apps = [...new Set(sharedSyntheses.map(({ app }) => app))];
  const stagesOf = (app: AppKey) => sharedSyntheses.filter((s) => s.app === app).map(({ stage }) => stage);
  const synthesizeAll = () => Promise.all(apps.map((app) => synthesize(run, app, stagesOf(app), env)));

  await synthesizeAll();
  project.provide("stackSynthesisDirectory", run);
  // Vitest's hook is for every rerun; only one with stack test files needs the stacks again.
  project.onTestsRerun(async (specifications) => {
    if (specifications.some((specification) => specification.project.name === project.name)) await synthesizeAll();
  });
  return remove;
}
