import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { spawnRuntime } from "../support/runtime-process";

declare module "vitest" {
  export interface ProvidedContext {
    webUrl: string;
  }
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Builds the web app as `npm start` does and starts one local runtime (in-memory DynamoDB
 * Local, any free port) that serves it with the API, the issuer and the WebSocket.
 */
export default async function setup(project: TestProject) {
  execFileSync("npm", ["run", "build:web", "--silent"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  const runtime = await spawnRuntime();
  project.provide("webUrl", runtime.url);
  return () => runtime.stop();
}
