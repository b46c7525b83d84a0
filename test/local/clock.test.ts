/**
 * The runtime on the controllable clock, as the workflow tests use it: spawned like `npm start`
 * with `--controllable-clock` (fake timers must not be installed in a vitest worker), plus a toy
 * workflow (fixtures/toy-workflows.ts): a Wait until a timestamp 2 h ahead, side by side with a
 * task-token wait whose TimeoutSecondsPath says 3600 s.
 */
import { DescribeExecutionCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDocumentClient } from "../../packages/local/src/dynamo";
import { spawnRuntime, type RuntimeProcess } from "../support/runtime-process";

let rt: RuntimeProcess;
let sfn: SFNClient;
const TOY = "arn:aws:states:local:000000000000:stateMachine:carebook-toy";
const HOUR = 3600_000;

beforeAll(async () => {
  rt = await spawnRuntime(["--controllable-clock", "--no-sweeper", "--extra-workflows", "test/local/fixtures/toy-workflows.ts"]);
  sfn = new SFNClient({ endpoint: rt.sfnEndpoint, region: "local", credentials: { accessKeyId: "l", secretAccessKey: "l" }, maxAttempts: 1 });
});

afterAll(async () => {
  sfn?.destroy();
  await rt?.stop();
});

async function json(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(rt.url + path, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const clockNow = async () => (await json("GET", "/local/clock")).body.epochMs as number;
const advance = (advanceMs: number) => json("POST", "/local/clock", { advanceMs });

async function until<T>(probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function execution(name: string) {
  const { body } = await json("GET", `/local/executions?workflow=toy&name=${name}`);
  return body.executions[0];
}

async function storedToken(name: string): Promise<string> {
  const db = makeDocumentClient(rt.dynamoEndpoint);
  return until(async () => {
    const { Item } = await db.send(new GetCommand({ TableName: rt.tableName, Key: { pk: "toy-token", sk: name } }));
    return Item?.token as string | undefined;
  });
}

async function signIn(): Promise<string> {
  const res = await json("POST", "/local-auth/token", { email: "patient@demo.carebook.test", password: "carebook-demo-1" });
  expect(res.status).toBe(200);
  return res.body.idToken;
}

describe("the controllable clock", () => {
  it("follows real time between jumps", async () => {
    expect(rt.controllableClock).toBe(true);
    const first = await clockNow();
    expect(Math.abs(first - Date.now())).toBeLessThan(5_000);
    await new Promise((r) => setTimeout(r, 300));
    const elapsed = (await clockNow()) - first;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2_000);
  });

  it("fires a 2 h TimestampPath Wait and a 3600 s TimeoutSecondsPath token wait at once, without sleeping", async () => {
    const input = JSON.stringify({ waitMs: 2 * HOUR, timeoutSeconds: 3600 });
    const unanswered = await sfn.send(new StartExecutionCommand({ stateMachineArn: TOY, name: "unanswered", input }));
    const answered = await sfn.send(new StartExecutionCommand({ stateMachineArn: TOY, name: "answered", input }));
    const lateToken = await storedToken("unanswered");
    await sfn.send(new SendTaskSuccessCommand({ taskToken: await storedToken("answered"), output: '{"answer":"yes"}' }));
    const waiting = await until(async () => {
      const e = await execution("answered");
      return e.currentStates.length === 2 ? e : undefined; // the token branch is done
    });
    expect(waiting.currentStates).toEqual(["Both", "WaitUntil"]);
    expect((await execution("unanswered")).currentStates.sort()).toEqual(["AwaitAnswer", "Both", "WaitUntil"]);

    const realStart = Date.now();
    const jumped = await advance(2 * HOUR + 1_000);
    expect(jumped.status).toBe(200);
    expect(jumped.body.advancedMs).toBeGreaterThanOrEqual(2 * HOUR + 1_000);
    expect(Date.now() - realStart).toBeLessThan(5_000);

    // The jump answers once what it set off is done: no polling needed.
    const a = await execution("unanswered");
    const b = await execution("answered");
    expect(a.status).toBe("SUCCEEDED");
    expect(b.status).toBe("SUCCEEDED");
    expect(a.output.results[1]).toBe("timed-out");
    expect(b.output.results[1]).toEqual({ answer: "yes" });
    const timedOutAt = Date.parse(a.history.find((h: { type: string; state?: string }) => h.type === "StateFailed" && h.state === "AwaitAnswer").at);
    expect(timedOutAt - Date.parse(a.startDate)).toBeGreaterThanOrEqual(HOUR);
    expect(timedOutAt - Date.parse(a.startDate)).toBeLessThan(HOUR + 5_000);
    // The Task after the Wait ran at the Wait's time, and could use DynamoDB then.
    const woke = a.output.results[0];
    expect(woke.tokenStored).toBe(true);
    expect(Date.parse(woke.wokeAt) - Date.parse(a.output.plan.at)).toBeGreaterThanOrEqual(0);
    expect(Date.parse(woke.wokeAt) - Date.parse(a.output.plan.at)).toBeLessThan(5_000);

    // The token died with its state, as in AWS.
    const late = await sfn.send(new SendTaskSuccessCommand({ taskToken: lateToken, output: "{}" })).catch((e: Error) => e);
    expect(late).toMatchObject({ name: "TaskTimedOut" });
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: unanswered.executionArn }));
    expect(described.stopDate!.getTime() - described.startDate!.getTime()).toBeGreaterThanOrEqual(2 * HOUR);
    expect(answered.executionArn).toMatch(/:answered$/);
  });

  it("waits out a Wait of more than 24.8 days (longer than one setTimeout)", async () => {
    const input = JSON.stringify({ waitMs: 30 * 24 * HOUR, timeoutSeconds: 60 });
    await sfn.send(new StartExecutionCommand({ stateMachineArn: TOY, name: "a-month", input }));
    await storedToken("a-month");
    await advance(2 * 60_000); // the token wait times out; the 30-day wait goes on
    expect(await execution("a-month")).toMatchObject({ status: "RUNNING", currentStates: ["Both", "WaitUntil"] });
    await advance(30 * 24 * HOUR);
    expect((await execution("a-month")).status).toBe("SUCCEEDED");
  });

  it("keeps the API, JWT checks and DynamoDB working across a day's jump (old tokens expire)", async () => {
    const before = await signIn();
    expect((await json("GET", "/api/appointments", undefined, { authorization: `Bearer ${before}` })).status).toBe(200);
    const jumped = await advance(24 * HOUR);
    expect(jumped.status).toBe(200);
    expect((await json("GET", "/api/appointments", undefined, { authorization: `Bearer ${before}` })).status).toBe(401);
    const after = await signIn();
    const res = await json("GET", "/api/appointments", undefined, { authorization: `Bearer ${after}` });
    expect(res.status).toBe(200);
    // Only the demo day's seeded appointments: nothing else was booked.
    expect(res.body.appointments.map((a: { id: string }) => a.id.slice(0, 5))).toEqual(res.body.appointments.map(() => "demo-"));
  });

  it("jumps to a time, and never back", async () => {
    const now = await clockNow();
    const to = new Date(now + 10 * 60_000).toISOString();
    const jumped = await json("POST", "/local/clock", { to });
    expect(jumped.status).toBe(200);
    expect(jumped.body.epochMs).toBeGreaterThanOrEqual(Date.parse(to));
    expect((await json("POST", "/local/clock", { to: new Date(now).toISOString() })).status).toBe(400);
    expect((await advance(-1)).status).toBe(400);
    expect((await json("POST", "/local/clock", {})).status).toBe(400);
    expect((await json("POST", "/local/clock", { advanceMs: 1, to })).status).toBe(400);
  });
});
