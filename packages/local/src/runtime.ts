/**
 * The embedded runtime: DynamoDB Local holding the Storage stack's table, the route table's
 * handlers behind an API-Gateway-shaped HTTP server, and a local stand-in for Cognito.
 * `npm start` runs it (main.ts); the integration tests and benchmarks start it too.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Server } from "node:http";
import { createDb, type Db } from "@carebook/core/entities/index";
import { ensurePatientProfile } from "@carebook/core/patient";
import { routes } from "../../../functions/routes";
import { createLocalIssuer, type LocalIssuer } from "./auth";
import { findFreePort, makeDocumentClient, makeDynamoClient, startDynamoLocal } from "./dynamo";
import { createApiServer, listen, PROJECT_ROOT } from "./http";
import { DEMO_PASSWORD, DEMO_REGION_ID, demoUsers, seedDemoData } from "./seed";
import { ensureTable } from "./table";

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
}

export interface Runtime {
  url: string;
  dynamoEndpoint: string;
  tableName: string;
  regionId: string;
  db: Db;
  issuer: LocalIssuer;
  server: Server;
  startupMs: number;
  stop(): Promise<void>;
}

export function defaultDataDir(): string {
  return resolve(process.env.CAREBOOK_DATA_DIR ?? resolve(PROJECT_ROOT, ".carebook"));
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const started = Date.now();
  const dataDir = options.inMemory ? undefined : (options.dataDir ?? defaultDataDir());
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const port = options.port || (await findFreePort());

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

    const server = createApiServer({
      routes,
      issuer,
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
    let url: string;
    try {
      url = await listen(server, port);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
        throw new Error(`Port ${port} is busy: stop what uses it or start with PORT=<another port>`);
      }
      throw error;
    }
    return {
      url,
      dynamoEndpoint: dynamoLocal.endpoint,
      tableName: LOCAL_TABLE_NAME,
      regionId: DEMO_REGION_ID,
      db,
      issuer,
      server,
      startupMs: Date.now() - started,
      async stop() {
        await new Promise<void>((done) => server.close(() => done()));
        server.closeAllConnections();
        await dynamoLocal.stop();
      },
    };
  } catch (error) {
    await dynamoLocal.stop();
    throw error;
  }
}
