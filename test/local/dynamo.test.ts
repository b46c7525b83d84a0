import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer, type AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  TransactionCanceledException,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDocumentClient, makeDynamoClient, startDynamoLocal, type DynamoLocal } from "../../packages/local/src/dynamo";
import { ensureTable } from "../../packages/local/src/table";

const TABLE = "carebook-test";

describe("DynamoDB Local", () => {
  let ddb: DynamoLocal;
  let client: DynamoDBClient;

  beforeAll(async () => {
    ddb = await startDynamoLocal({ inMemory: true });
    client = makeDynamoClient(ddb.endpoint);
    console.info(`DynamoDB Local answered after ${ddb.startupMs} ms on ${ddb.endpoint}`);
  }, 40_000);

  afterAll(async () => {
    client?.destroy();
    await ddb?.stop();
  });

  it("creates the table once and leaves it alone the second time", async () => {
    const first = await ensureTable(client, TABLE);
    expect(first.created).toBe(true);
    const second = await ensureTable(client, TABLE);
    expect(second.created).toBe(false);

    const { Table } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
    expect(Table?.TableStatus).toBe("ACTIVE");
    expect(Table?.KeySchema).toEqual([
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ]);
    const gsis = Object.fromEntries((Table?.GlobalSecondaryIndexes ?? []).map((g) => [g.IndexName, g]));
    expect(Object.keys(gsis).sort()).toEqual(["gsi1", "gsi2", "gsi3"]);
    for (const n of [1, 2, 3]) {
      expect(gsis[`gsi${n}`]?.KeySchema).toEqual([
        { AttributeName: `gsi${n}pk`, KeyType: "HASH" },
        { AttributeName: `gsi${n}sk`, KeyType: "RANGE" },
      ]);
      expect(gsis[`gsi${n}`]?.Projection?.ProjectionType).toBe("ALL");
    }
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" });
    expect(Table?.LatestStreamArn).toBeTruthy();
    expect(Table?.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");

    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: TABLE }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: "expiresAt", TimeToLiveStatus: "ENABLED" });
  });

  it("reports cancellation reasons when a transaction condition fails", async () => {
    await ensureTable(client, TABLE);
    const doc = makeDocumentClient(ddb.endpoint);
    await doc.send(new PutCommand({ TableName: TABLE, Item: { pk: "CLAIM#d1", sk: "2026-11-25T10:00", held: true, note: undefined } }));
    const got = await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: "CLAIM#d1", sk: "2026-11-25T10:00" } }));
    expect(got.Item).toEqual({ pk: "CLAIM#d1", sk: "2026-11-25T10:00", held: true });

    const attempt = doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: TABLE, Item: { pk: "APPT#a1", sk: "APPT" }, ConditionExpression: "attribute_not_exists(pk)" } },
          {
            Put: {
              TableName: TABLE,
              Item: { pk: "CLAIM#d1", sk: "2026-11-25T10:00" },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
        ],
      }),
    );
    const error = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransactionCanceledException);
    const reasons = (error as TransactionCanceledException).CancellationReasons?.map((r) => r.Code);
    expect(reasons).toEqual(["None", "ConditionalCheckFailed"]);
    // Nothing of the transaction was written.
    const appt = await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: "APPT#a1", sk: "APPT" } }));
    expect(appt.Item).toBeUndefined();
    doc.destroy();
  });
});

describe("DynamoDB Local start failures", () => {
  it("fails fast and clearly when java is missing", async () => {
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    const started = Date.now();
    try {
      await expect(startDynamoLocal({ inMemory: true })).rejects.toThrow(
        "DynamoDB Local needs Java 17+: apt-get install -y openjdk-17-jre-headless",
      );
    } finally {
      process.env.PATH = path;
    }
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("refuses a port that is already taken instead of talking to whatever is there", async () => {
    const blocker = createServer().listen(0);
    await new Promise((r) => blocker.once("listening", r));
    const { port } = blocker.address() as AddressInfo;
    try {
      await expect(startDynamoLocal({ inMemory: true, port })).rejects.toThrow(/already in use/);
    } finally {
      blocker.close();
    }
  });
});

describe("DynamoDB Local processes", () => {
  it.concurrent("keeps data across a restart and leaves no Java process behind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "carebook-ddb-"));
    try {
      const first = await startDynamoLocal({ inMemory: false, dataDir: dir });
      const doc1 = makeDocumentClient(first.endpoint);
      await ensureTable(makeDynamoClient(first.endpoint), TABLE);
      await doc1.send(new PutCommand({ TableName: TABLE, Item: { pk: "P#1", sk: "P", name: "Ada" } }));
      doc1.destroy();
      await first.stop();
      await first.stop(); // idempotent

      const second = await startDynamoLocal({ inMemory: false, dataDir: dir });
      const doc2 = makeDocumentClient(second.endpoint);
      expect((await ensureTable(makeDynamoClient(second.endpoint), TABLE)).created).toBe(false);
      const got = await doc2.send(new GetCommand({ TableName: TABLE, Key: { pk: "P#1", sk: "P" } }));
      expect(got.Item?.name).toBe("Ada");
      doc2.destroy();
      await second.stop();
      await expect(fetch(second.endpoint)).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);

  (process.platform === "linux" ? it.concurrent : it.skip)("dies with the Node process on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", resolve(__dirname, "fixtures/ddb-child.ts")], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    });
    const line = await new Promise<string>((resolveLine, reject) => {
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d;
        if (out.includes("\n")) resolveLine(out.split("\n")[0]!);
      });
      child.once("exit", (code) => reject(new Error(`child exited early (${code})`)));
    });
    const { pid } = JSON.parse(line) as { pid: number };
    expect(isRunning(pid)).toBe(true);
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
    await new Promise((r) => setTimeout(r, 200));
    expect(isRunning(pid)).toBe(false);
  }, 40_000);
});

/** Running (not exited, not a zombie awaiting a reaper). Linux /proc. */
function isRunning(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  const state = readFileSync(stat, "utf8").split(") ")[1]?.[0];
  return state !== "Z" && state !== "X";
}

