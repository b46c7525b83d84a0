/**
 * `npm run audit:verify [-- --clinic c1 [--clinic c2] --from 2026-01-01 --to 2026-01-31 --grace-minutes 15 --json]`
 *
 * Verifies the audit hash chains (packages/core/src/audit/verify.ts) and prints each problem.
 * Exit code: 0 intact, 1 problems found, 2 could not run (usage, connection).
 *
 * Which table:
 * - `TABLE_NAME` set: that table — at `CAREBOOK_DYNAMODB_ENDPOINT` when set (DynamoDB Local),
 *   else in AWS with the default credential chain and region.
 * - neither set: the running local runtime's (`npm start` writes `.carebook/runtime.json`,
 *   or `$CAREBOOK_DATA_DIR/runtime.json`).
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DEFAULT_GRACE_MS, verifyChains, type VerifyResult } from "@carebook/core/audit/verify";
import { createDb } from "@carebook/core/entities/index";

const PROJECT_ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");

class UsageError extends Error {}

interface Target {
  tableName: string;
  endpoint?: string;
  source: string;
}

function processAlive(pid: unknown): boolean {
  if (typeof pid !== "number") return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function target(): Target {
  const tableName = process.env.TABLE_NAME;
  const endpoint = process.env.CAREBOOK_DYNAMODB_ENDPOINT;
  if (tableName) return { tableName, endpoint, source: endpoint ? `TABLE_NAME at ${endpoint}` : "TABLE_NAME in AWS" };
  if (endpoint) throw new UsageError("CAREBOOK_DYNAMODB_ENDPOINT is set but TABLE_NAME is not: set both.");

  const dataDir = resolve(process.env.CAREBOOK_DATA_DIR ?? join(PROJECT_ROOT, ".carebook"));
  const file = join(dataDir, "runtime.json");
  if (!existsSync(file)) {
    throw new UsageError(
      `No table to verify: TABLE_NAME is not set and no local runtime is running (${file} is missing).\n` +
        "Start one with `npm start` (not --in-memory), or set TABLE_NAME (and CAREBOOK_DYNAMODB_ENDPOINT for DynamoDB Local).",
    );
  }
  let runtime: { dynamoEndpoint?: unknown; tableName?: unknown; pid?: unknown };
  try {
    runtime = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof runtime.dynamoEndpoint !== "string" || typeof runtime.tableName !== "string") {
    throw new UsageError(`${file} lacks dynamoEndpoint/tableName.`);
  }
  if (!processAlive(runtime.pid)) {
    throw new UsageError(`${file} belongs to a local runtime that is no longer running (pid ${runtime.pid}): start it again with \`npm start\`.`);
  }
  return { tableName: runtime.tableName, endpoint: runtime.dynamoEndpoint, source: `local runtime (${file})` };
}

function options() {
  const { values } = parseArgs({
    options: {
      clinic: { type: "string", multiple: true },
      from: { type: "string" },
      to: { type: "string" },
      "grace-minutes": { type: "string" },
      json: { type: "boolean", default: false },
    },
    allowPositionals: false,
  });
  const day = /^\d{4}-\d{2}-\d{2}$/;
  for (const name of ["from", "to"] as const) {
    const v = values[name];
    if (v !== undefined && !day.test(v)) throw new UsageError(`--${name} expects a UTC day yyyy-mm-dd, got "${v}"`);
  }
  const grace = values["grace-minutes"];
  if (grace !== undefined && !/^\d+$/.test(grace)) throw new UsageError(`--grace-minutes expects whole minutes, got "${grace}"`);
  return {
    clinicIds: values.clinic,
    from: values.from,
    to: values.to,
    graceMs: grace === undefined ? DEFAULT_GRACE_MS : Number(grace) * 60_000,
    json: values.json ?? false,
  };
}

function report(result: VerifyResult, graceMs: number): string {
  const lines = [
    `Audit chains: ${result.chains} clinic-day(s), ${result.links} link(s) checked` +
      (result.pending ? `; ${result.pending} entr${result.pending === 1 ? "y" : "ies"} not chained yet (younger than ${graceMs / 60_000} min)` : ""),
  ];
  if (result.ok) {
    lines.push("Intact: no entry or link was modified or removed.");
  } else {
    lines.push(`${result.problems.length} problem(s):`);
    for (const p of result.problems) {
      lines.push(`  ${p.kind.padEnd(14)} ${p.clinicId} ${p.day}${p.seq !== undefined ? ` seq ${p.seq}` : ""}: ${p.message}`);
    }
  }
  return lines.join("\n");
}

async function main(): Promise<number> {
  let opts: ReturnType<typeof options>;
  let where: Target;
  try {
    opts = options();
    where = target();
  } catch (error) {
    console.error(error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ? (error as Error).message : error);
    return 2;
  }

  const raw = new DynamoDBClient(
    where.endpoint
      ? { endpoint: where.endpoint, region: "local", credentials: { accessKeyId: "local", secretAccessKey: "local" }, maxAttempts: 3 }
      : {},
  );
  const db = createDb(DynamoDBDocumentClient.from(raw), where.tableName);
  try {
    const result = await verifyChains(db, { clinicIds: opts.clinicIds, from: opts.from, to: opts.to, graceMs: opts.graceMs });
    if (opts.json) console.log(JSON.stringify(result, null, 2));
    else console.log(`Table ${where.tableName} — ${where.source}\n${report(result, opts.graceMs)}`);
    return result.ok ? 0 : 1;
  } catch (error) {
    const e = error as Error & { cause?: Error };
    console.error(`Could not verify table ${where.tableName} (${where.source}): ${e.cause?.message ?? e.message}`);
    return 2;
  } finally {
    raw.destroy();
  }
}

process.exitCode = await main();
