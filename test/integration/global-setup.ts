import type { TestProject } from "vitest/node";
import { spawnRuntime } from "../support/runtime-process";

declare module "vitest" {
  export interface ProvidedContext {
    apiUrl: string;
    dynamoEndpoint: string;
    tableName: string;
  }
}

/**
 * Starts the local runtime once for the integration run, exactly as `npm start` does
 * (same entry point, in-memory DynamoDB Local, any free port), and stops it afterwards.
 */
export default async function setup(project: TestProject) {
  const runtime = await spawnRuntime();
  project.provide("apiUrl", runtime.url);
  project.provide("dynamoEndpoint", runtime.dynamoEndpoint);
  project.provide("tableName", runtime.tableName);
  return () => runtime.stop();
}
