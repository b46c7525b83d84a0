import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

/** What `main.ts --ready-json` prints when the runtime is ready. */
export interface ReadyRuntime {
  url: string;
  dynamoEndpoint: string;
  tableName: string;
  sfnEndpoint: string;
  controllableClock: boolean;
  startupMs: number;
}

export interface RuntimeProcess extends ReadyRuntime {
  child: ChildProcess;
  /** SIGTERM, then waits for the exit (DynamoDB Local stops with it). */
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Starts the local runtime as `npm start` does (same entry point), with `--in-memory --port 0
 * --ready-json` and the given extra arguments (e.g. `--controllable-clock`), and resolves when it
 * is ready. Its stderr goes to ours; stdout lines other than the ready line are echoed.
 */
export async function spawnRuntime(
  args: string[] = [],
  options: { env?: Record<string, string>; timeoutMs?: number; /** keep data in $CAREBOOK_DATA_DIR instead of memory */ persist?: boolean } = {},
): Promise<RuntimeProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "packages/local/src/main.ts", ...(options.persist ? [] : ["--in-memory"]), "--port", "0", "--ready-json", ...args],
    { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, POWERTOOLS_LOG_LEVEL: "ERROR", ...options.env } },
  );
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const timeoutMs = options.timeoutMs ?? 60_000;
  let ready: ReadyRuntime;
  try {
    ready = await new Promise<ReadyRuntime>((resolveReady, reject) => {
      const timer = setTimeout(() => reject(new Error(`local runtime did not get ready in ${timeoutMs / 1000} s`)), timeoutMs);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`local runtime exited early with ${code}`));
      });
      createInterface({ input: child.stdout! }).on("line", (line) => {
        if (line.startsWith("{")) {
          try {
            const message = JSON.parse(line);
            if (message.ready) {
              clearTimeout(timer);
              return resolveReady(message);
            }
          } catch {
            // not ours
          }
        }
        console.log(`[runtime] ${line}`);
      });
    });
  } catch (error) {
    child.kill("SIGTERM");
    await exited;
    throw error;
  }
  return {
    ...ready,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
