import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { spawnRuntime } from "../support/runtime-process";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Builds the web app as `npm start` does and starts one local runtime (in-memory DynamoDB
 * Local, any free port) that serves it with the API, the issuer and the WebSocket.
 */
export default async function setup(project: TestProject) {
  // NODE_ENV is "test" under vitest, which Vite would honour: a development build of React
  // and no service worker. Build what `npm start` serves.
  execFileSync("npm", ["run", "build:web", "--silent"], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, NODE_ENV: "production" },
  });
  const runtime = await spawnRuntime();
  // The integration harness (test/integration/harness.ts: api, signIn, newPatient…) works here too.
  project.provide("apiUrl", runtime.url);
  project.provide("dynamoEndpoint", runtime.dynamoEndpoint);
  project.provide("tableName", runtime.tableName);
  return () => runtime.stop();
}
