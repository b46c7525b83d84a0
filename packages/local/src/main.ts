/**
 * `npm start`: the whole of Carebook on this machine.
 *   --in-memory      throwaway data (default: kept in .carebook/ or $CAREBOOK_DATA_DIR)
 *   --port <n>       HTTP port (default $PORT or 3000; 0 = any free port)
 *   --ready-json     print one JSON line when ready (used by the test harness)
 */
import { parseArgs } from "node:util";
import { DEMO_PASSWORD, demoUsers } from "./seed";
import { startRuntime } from "./runtime";

const { values } = parseArgs({
  options: {
    "in-memory": { type: "boolean", default: false },
    port: { type: "string" },
    "ready-json": { type: "boolean", default: false },
  },
});

const port = Number(values.port ?? process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Invalid port: ${values.port ?? process.env.PORT}`);
  process.exit(2);
}

try {
  const runtime = await startRuntime({ inMemory: values["in-memory"], port });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (!values["ready-json"]) console.log(`\n${signal}: stopping Carebook…`);
    await runtime.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  if (values["ready-json"]) {
    console.log(
      JSON.stringify({
        ready: true,
        url: runtime.url,
        dynamoEndpoint: runtime.dynamoEndpoint,
        tableName: runtime.tableName,
        startupMs: runtime.startupMs,
      }),
    );
  } else {
    console.log(`
Carebook is running (ready in ${(runtime.startupMs / 1000).toFixed(1)} s)
  API          ${runtime.url}   (try ${runtime.url}/health)
  DynamoDB     ${runtime.dynamoEndpoint}  table ${runtime.tableName}
  Data         ${values["in-memory"] ? "in memory (gone when stopped)" : "kept in .carebook/ (CAREBOOK_DATA_DIR to change)"}

Demo accounts (password: ${DEMO_PASSWORD})
${demoUsers.map((u) => `  ${u.groups[0]!.padEnd(8)} ${u.email}`).join("\n")}

Sign in:  curl -s -X POST ${runtime.url}/local-auth/token -H 'content-type: application/json' \\
            -d '{"email":"patient@demo.carebook.test","password":"${DEMO_PASSWORD}"}'
Ctrl-C stops everything.`);
  }
} catch (error) {
  console.error(`Carebook could not start: ${(error as Error).message}`);
  process.exit(1);
}
