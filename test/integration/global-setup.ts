import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import type { TestProject } from "vitest/node";

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
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", "packages/local/src/main.ts", "--in-memory", "--port", "0", "--ready-json"],
    { cwd: process.cwd(), stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, POWERTOOLS_LOG_LEVEL: "ERROR" } },
  );
  const ready = await new Promise<{ url: string; dynamoEndpoint: string; tableName: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("local runtime did not get ready in 60 s")), 60_000);
    child.once("exit", (code) => reject(new Error(`local runtime exited early with ${code}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (!line.startsWith("{")) return;
      const message = JSON.parse(line);
      if (message.ready) {
        clearTimeout(timer);
        resolve(message);
      }
    });
  });
  project.provide("apiUrl", ready.url);
  project.provide("dynamoEndpoint", ready.dynamoEndpoint);
  project.provide("tableName", ready.tableName);
  return async () => {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  };
}
