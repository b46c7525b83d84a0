/**
 * The embedded runtime: DynamoDB Local holding the Storage stack's table, the route table's
 * handlers behind an API-Gateway-shaped HTTP server, a local stand-in for Cognito, the
 * workflow table on a local Step Functions (with its AWS JSON endpoint at /local/sfn), the
 * events table on the table's stream and a local bus (/local/events), and the sweeper on a
 * timer. `npm start` runs it (main.ts); the tests and benchmarks start it too.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Server } from "node:http";
import { createDb, type Db } from "@carebook/core/entities/index";
import { ensurePatientProfile } from "@carebook/core/patient";
import { busConsumerEntries, EVENT_BUS_ENV, scheduledFunctions, streamConsumerEntries } from "../../../functions/events/index";
import { ARCHIVE_DIR_ENV } from "../../../functions/lib/archive-store";
import { OUTBOX_DIR_ENV } from "../../../functions/lib/channels/index";
import { REALTIME_ENDPOINT_ENV } from "../../../functions/realtime/index";
import { routes } from "../../../functions/routes";
import { sweeper, workflowEntries, type WorkflowDefinition } from "../../../functions/workflows/index";
import { createLocalIssuer, type LocalIssuer } from "./auth";
import { clockRoutes, controllableClock, installControllableClock, type ControllableClock } from "./clock";
import { findFreePort, makeDocumentClient, makeDynamoClient, startDynamoLocal } from "./dynamo";
import { createApiServer, importHandler, listen, PROJECT_ROOT, type ExtraRoute } from "./http";
import { webAppRoute, webAuthMode, type WebAuthMode } from "./web";
import { useLocalWebPushKeys } from "./web-push";
import { DEMO_PASSWORD, DEMO_REGION_ID, demoUsers, seedDemoData } from "./seed";
import { createLocalBus, eventsRoutes, startStreamConsumers, type LocalBus, type StreamConsumers } from "./events";
import { outboxRoutes } from "./outbox";
import { cognitoAdminRoutes, LOCAL_STAFF_POOL_ID } from "./cognito-admin";
import { COGNITO_ENDPOINT_ENV, poolEnv } from "../../../functions/auth/pools";
import { faultsEndpoint, stepFunctionsRoutes, type FaultPlan } from "./stepfunctions/endpoint";
import { createLocalStepFunctions, type LocalStepFunctions } from "./stepfunctions/engine";
import { ensureTable } from "./table";
import { createLocalTtl, LOCAL_TTL_PERIOD_MS, ttlRoutes } from "./ttl";
import { createLocalWebSocketApi, LOCAL_MANAGEMENT_PREFIX, type LocalWebSocketApi } from "./websocket";
import { localWorkflows, resumeWorkflows, startSweeper } from "./workflows";

export const LOCAL_TABLE_NAME = "carebook-local";
export const LOCAL_AUDIENCE = "carebook-local-client";

export interface RuntimeOptions {
  /** Throwaway database and users (tests, benchmarks). */
  inMemory: boolean;
  /** Where data lives when not in memory. Default `.carebook/` in the project. */
  dataDir?: string;
  /** HTTP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** Seed the demo data on first start (default true). */
  seed?: boolean;
  /**
   * Run on the controllable clock (tests): @sinonjs/fake-timers on globalThis, moved by
   * `POST /local/clock`. Best installed before anything is imported (main.ts
   * `--controllable-clock` does); otherwise it is installed here.
   */
  controllableClock?: boolean;
  /** Run the sweeper every `sweeper.periodMs` (default true). */
  sweeper?: boolean;
  /** More workflows, shaped like the workflow table's (tests: toy workflows). */
  extraWorkflows?: Record<string, WorkflowDefinition>;
  /** How the web app signs in: "local" (its password form) or "hosted" (the pools' hosted pages,
   * as deployed). Default $CAREBOOK_WEB_AUTH, else "local". */
  webAuth?: WebAuthMode;
}

export interface Runtime {
  url: string;
  dynamoEndpoint: string;
  tableName: string;
  regionId: string;
  db: Db;
  issuer: LocalIssuer;
  server: Server;
  /** The local Step Functions (also served at `${url}/local/sfn`). */
  stepFunctions: LocalStepFunctions;
  /** `${url}/local/sfn`, what CAREBOOK_SFN_ENDPOINT is set to. */
  sfnEndpoint: string;
  /** The local EventBridge bus (also served at `${url}/local/events`). */
  bus: LocalBus;
  /** The stream consumers (publisher…): `drain()` delivers everything committed so far. */
  streams: StreamConsumers;
  /** The WebSocket API (`ws://…/ws?token=`) and its management endpoint (REALTIME_ENDPOINT_ENV). */
  websockets: LocalWebSocketApi;
  /** Set when running on the controllable clock. */
  clock?: ControllableClock;
  startupMs: number;
  stop(): Promise<void>;
}

export function defaultDataDir(): string {
  return resolve(process.env.CAREBOOK_DATA_DIR ?? resolve(PROJECT_ROOT, ".carebook"));
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const installsClock = Boolean(options.controllableClock && !controllableClock()); // main.ts installs it first
  const clock = options.controllableClock ? installControllableClock() : undefined;
  const started = Date.now();
  const dataDir = options.inMemory ? undefined : (options.dataDir ?? defaultDataDir());
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const port = options.port || (await findFreePort());
  const webAuth = options.webAuth ?? webAuthMode(); // before anything starts: a typo stops here

  // Node 20 here, nodejs22.x in Lambda: we know, and package-lock.json pins the SDK.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const dynamoLocal = await startDynamoLocal({ inMemory: options.inMemory, dataDir });
  try {
    await ensureTable(makeDynamoClient(dynamoLocal.endpoint), LOCAL_TABLE_NAME);

    // What the Api stack gives each Lambda, given to the same handlers in this process.
    Object.assign(process.env, {
      TABLE_NAME: LOCAL_TABLE_NAME,
      CAREBOOK_REGION_ID: DEMO_REGION_ID,
      CAREBOOK_DYNAMODB_ENDPOINT: dynamoLocal.endpoint,
      AWS_REGION: process.env.AWS_REGION ?? "eu-west-1",
      POWERTOOLS_SERVICE_NAME: "carebook",
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? "WARN",
      POWERTOOLS_DEV: process.env.POWERTOOLS_DEV ?? "true",
    });

    const db = createDb(makeDocumentClient(dynamoLocal.endpoint), LOCAL_TABLE_NAME);
    if (options.seed !== false) await seedDemoData(db);

    const issuer = await createLocalIssuer({
      dataDir,
      issuerUrl: `http://127.0.0.1:${port}/local-auth`,
      audience: LOCAL_AUDIENCE,
    });
    for (const user of demoUsers) await issuer.addUser({ ...user, password: DEMO_PASSWORD });

    // Step Functions: every workflow of the table (plus test ones), its ARN in the variable the
    // Workflows stack sets, and the endpoint the handlers' SFNClient talks to.
    const loadHandler = importHandler(PROJECT_ROOT);
    const entries = [...workflowEntries(), ...Object.entries(options.extraWorkflows ?? {})] as Array<[string, WorkflowDefinition]>;
    const stepFunctions = createLocalStepFunctions({ workflows: localWorkflows(entries, loadHandler) });
    const sfnEndpoint = `http://127.0.0.1:${port}/local/sfn`;
    const arnOf = new Map(stepFunctions.stateMachines().map((m) => [m.workflow, m.stateMachineArn]));
    for (const [name, workflow] of entries) process.env[workflow.arnEnv] = arnOf.get(name)!;
    process.env.CAREBOOK_SFN_ENDPOINT = sfnEndpoint;
    // Events: the bus's consumers in-process, its endpoint for the publisher's EventBridgeClient.
    const bus = createLocalBus({ consumers: busConsumerEntries(), loadHandler, dataDir });
    process.env[EVENT_BUS_ENV] = bus.name;
    process.env.CAREBOOK_EVENTS_ENDPOINT = `http://127.0.0.1:${port}/local/events`;
    // Messages to patients land in an outbox of files (kept with the data, or thrown away).
    const outboxDir = dataDir ? join(dataDir, "outbox") : mkdtempSync(join(tmpdir(), "carebook-outbox-"));
    process.env[OUTBOX_DIR_ENV] = outboxDir;
    useLocalWebPushKeys(dataDir);
    // Cognito's admin API for the staff functions (invitations, groups, disabling), served by the
    // issuer's users; its invitations land in the outbox.
    process.env[poolEnv.staff.userPoolId] = LOCAL_STAFF_POOL_ID;
    process.env[COGNITO_ENDPOINT_ENV] = `http://127.0.0.1:${port}/local/cognito`;
    // Archive: S3 stand-in, a directory with the bucket's keys as paths (kept with the data, or
    // thrown away). TTL: a stand-in on the runtime's clock (ttl.ts); the stream consumers get
    // TTL deletions as AWS marks them, which the archiver's filter expects.
    const archiveDir = dataDir ? join(dataDir, "archive") : mkdtempSync(join(tmpdir(), "carebook-archive-"));
    process.env[ARCHIVE_DIR_ENV] = archiveDir;
    const ttl = createLocalTtl({ client: makeDynamoClient(dynamoLocal.endpoint), tableName: LOCAL_TABLE_NAME, dataDir });
    let streams: StreamConsumers | undefined;
    const sfnFaults: FaultPlan = new Map();
    const extraRoutes: Record<string, ExtraRoute> = {
      ...stepFunctionsRoutes(stepFunctions, sfnFaults),
      ...eventsRoutes(bus),
      ...outboxRoutes(outboxDir, bus),
      ...cognitoAdminRoutes(issuer, outboxDir),
      ...ttlRoutes(ttl),
      "POST /local/faults": faultsEndpoint({ stepFunctions: sfnFaults, events: bus.faults }),
      /** Delivers every event committed so far before answering (tests). */
      "POST /local/streams/drain": async (req, res) => {
        req.resume();
        await streams?.drain();
        res.writeHead(204).end();
      },
      ...(clock ? clockRoutes(clock) : {}),
    };

    // The WebSocket API on the same server and port (`/ws`), its management endpoint for the
    // fan-out consumer's ApiGatewayManagementApiClient.
    const websockets = createLocalWebSocketApi({ issuer, loadHandler });
    process.env[REALTIME_ENDPOINT_ENV] = `http://127.0.0.1:${port}${LOCAL_MANAGEMENT_PREFIX}`;
    const server = createApiServer({
      routes,
      issuer,
      loadHandler,
      prefixRoutes: websockets.prefixRoutes,
      fallback: webAppRoute({ auth: webAuth, issuer }),
      // The app is served here (web.ts): the hosted sign-in's only callbacks. Both names of the
      // loopback address, since a developer may open either.
      webOrigins: [`http://127.0.0.1:${port}`, `http://localhost:${port}`],
      extraRoutes,
      onSignup: async (user) => {
        await ensurePatientProfile(db, {
          patientId: user.sub,
          regionId: DEMO_REGION_ID,
          name: user.name,
          email: user.email,
          now: Date.now(),
        });
      },
    });
    websockets.attach(server);
    let url: string;
    try {
      url = await listen(server, port);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
        throw new Error(`Port ${port} is busy: stop what uses it or start with PORT=<another port>`);
      }
      throw error;
    }
    // Kept data may hold appointments whose workflows lived in the previous process.
    if (dataDir) await resumeWorkflows(db, stepFunctions, DEMO_REGION_ID);
    // From the stream checkpoints in dataDir: what committed while no one was reading comes now.
    streams = startStreamConsumers({
      consumers: streamConsumerEntries(),
      endpoint: dynamoLocal.endpoint,
      tableName: LOCAL_TABLE_NAME,
      loadHandler,
      dataDir,
      lambdaRecord: ttl.lambdaRecord,
    });
    // For tools run beside `npm start` (npm run audit:verify): where this runtime's data is.
    const runtimeFile = dataDir ? join(dataDir, "runtime.json") : undefined;
    if (runtimeFile) {
      writeFileSync(runtimeFile, JSON.stringify({ url, dynamoEndpoint: dynamoLocal.endpoint, tableName: LOCAL_TABLE_NAME, pid: process.pid }, null, 2) + "\n");
    }
    const sweep =
      options.sweeper === false ? undefined : startSweeper({ handlerPath: sweeper.handler, periodMs: sweeper.periodMs, loadHandler, clock });
    const scheduled = Object.values(scheduledFunctions).map((f) => startSweeper({ handlerPath: f.handler, periodMs: f.periodMs, loadHandler, clock }));
    const ttlSweep = startSweeper({ handlerPath: "local:ttl", periodMs: LOCAL_TTL_PERIOD_MS, loadHandler: async () => () => ttl.sweep(), clock });
    return {
      url,
      dynamoEndpoint: dynamoLocal.endpoint,
      tableName: LOCAL_TABLE_NAME,
      regionId: DEMO_REGION_ID,
      db,
      issuer,
      server,
      stepFunctions,
      sfnEndpoint,
      bus,
      streams,
      websockets,
      clock,
      startupMs: Date.now() - started,
      async stop() {
        // First: their $disconnect still needs the table, and open sockets hold the server open.
        await websockets.close();
        await sweep?.stop();
        await Promise.all(scheduled.map((s) => s.stop()));
        await ttlSweep.stop();
        await streams.stop();
        if (!dataDir) rmSync(outboxDir, { recursive: true, force: true });
        if (!dataDir) rmSync(archiveDir, { recursive: true, force: true });
        if (runtimeFile) rmSync(runtimeFile, { force: true });
        stepFunctions.stopAll();
        await new Promise<void>((done) => server.close(() => done()));
        server.closeAllConnections();
        await dynamoLocal.stop();
        if (installsClock) clock?.uninstall();
      },
    };
  } catch (error) {
    await dynamoLocal.stop();
    if (installsClock) clock?.uninstall();
    throw error;
  }
}
