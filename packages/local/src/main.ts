/**
 * `npm start`: the whole of Carebook on this machine.
 *   --in-memory            throwaway data (default: kept in .carebook/ or $CAREBOOK_DATA_DIR)
 *   --port <n>             HTTP port (default $PORT or 3000; 0 = any free port)
 *   --ready-json           print one JSON line when ready (used by the test harness)
 *   --controllable-clock   tests: fake timers for the whole process, moved by POST /local/clock
 *   --no-sweeper           do not run the sweeper every 5 minutes
 *   --extra-workflows <f>  tests: a module whose `workflows` export is added to the workflow table
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { installControllableClock } from "./clock";

const { values } = parseArgs({
  options: {
    "in-memory": { type: "boolean", default: false },
    port: { type: "string" },
    "ready-json": { type: "boolean", default: false },
    "controllable-clock": { type: "boolean", default: false },
    "no-sweeper": { type: "boolean", default: false },
    "extra-workflows": { type: "string" },
  },
});

// Before anything else is loaded, so that every module runs on the same clock.
if (values["controllable-clock"]) installControllableClock();

const port = Number(values.port ?? process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Invalid port: ${values.port ?? process.env.PORT}`);
  process.exit(2);
}

try {
  const { DEMO_PASSWORD, demoUsers } = await import("./seed");
  const { startRuntime } = await import("./runtime");
  const extraWorkflows = values["extra-workflows"]
    ? (await import(pathToFileURL(resolve(values["extra-workflows"])).href)).workflows
    : undefined;
  const runtime = await startRuntime({
    inMemory: values["in-memory"],
    port,
    controllableClock: values["controllable-clock"],
    sweeper: !values["no-sweeper"],
    extraWorkflows,
  });
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
        sfnEndpoint: runtime.sfnEndpoint,
        controllableClock: Boolean(runtime.clock),
        startupMs: runtime.startupMs,
      }),
    );
  } else {
    console.log(`
Carebook is running (ready in ${(runtime.startupMs / 1000).toFixed(1)} s)
  Web app      ${runtime.url}   ← open it in a browser and sign in with a demo account
  API          ${runtime.url}/api   (try ${runtime.url}/health)
  WebSocket    ${runtime.url.replace(/^http/, "ws")}/ws?token=<id token>
  DynamoDB     ${runtime.dynamoEndpoint}  table ${runtime.tableName}
  Workflows    ${runtime.url}/local/executions   (Step Functions endpoint ${runtime.sfnEndpoint})
  Data         ${values["in-memory"] ? "in memory (gone when stopped)" : "kept in .carebook/ (CAREBOOK_DATA_DIR to change)"}${runtime.clock ? "\n  Clock        controllable: GET/POST " + runtime.url + "/local/clock" : ""}

Demo accounts (password: ${DEMO_PASSWORD})
${demoUsers.map((u) => `  ${u.groups[0]!.padEnd(8)} ${u.email}`).join("\n")}

Or with curl:  curl -s -X POST ${runtime.url}/local-auth/token -H 'content-type: application/json' \\
            -d '{"email":"patient@demo.carebook.test","password":"${DEMO_PASSWORD}"}'
Staff also send "totp": the current code of their demo secret (README), e.g. npm run totp -- doctor
Ctrl-C stops everything.`);
  }
} catch (error) {
  console.error(`Carebook could not start: ${(error as Error).message}`);
  process.exit(1);
}
