import type { TestProject } from "vitest/node";
import { spawnRuntime } from "../support/runtime-process";

declare module "vitest" {
  export interface ProvidedContext {
    apiUrl: string;
    dynamoEndpoint: string;
    tableName: string;
    sfnEndpoint: string;
  }
}

/**
 * One local runtime for the workflow tests, on the controllable clock: tests move time with
 * `POST /local/clock` instead of sleeping. The clock is shared, so the project runs its files
 * one after another (vitest.config.ts). The sweeper runs as in `npm start`.
 */
export default async function setup(project: TestProject) {
  const runtime = await spawnRuntime(["--controllable-clock"]);
  project.provide("apiUrl", runtime.url);
  project.provide("dynamoEndpoint", runtime.dynamoEndpoint);
  project.provide("tableName", runtime.tableName);
  project.provide("sfnEndpoint", runtime.sfnEndpoint);
  return () => runtime.stop();
}
