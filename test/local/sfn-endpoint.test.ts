/**
 * The local Step Functions endpoint, driven by the real @aws-sdk/client-sfn as the handlers
 * use it (functions/lib/workflows.ts), against a toy workflow in this process.
 */
import type { Server } from "node:http";
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalIssuer } from "../../packages/local/src/auth";
import { createApiServer, listen } from "../../packages/local/src/http";
import { stepFunctionsRoutes } from "../../packages/local/src/stepfunctions/endpoint";
import { createLocalStepFunctions, type LocalStepFunctions } from "../../packages/local/src/stepfunctions/engine";

const definition = {
  StartAt: "Ask",
  States: {
    Ask: {
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
      Parameters: { FunctionName: "${AskFunction}", Payload: { "taskToken.$": "$$.Task.Token", "id.$": "$.id" } },
      TimeoutSeconds: 3600,
      ResultPath: "$.answer",
      Catch: [{ ErrorEquals: ["Carebook.Rejected"], ResultPath: "$.error", Next: "Rejected" }],
      End: true,
    },
    Rejected: { Type: "Fail", Error: "Carebook.Rejected", Cause: "rejected" },
  },
};

let server: Server;
let engine: LocalStepFunctions;
let client: SFNClient;
let url: string;
const asked = new Map<string, string>(); // id → token
const STATE_MACHINE = "arn:aws:states:local:000000000000:stateMachine:carebook-toy";

beforeAll(async () => {
  engine = createLocalStepFunctions({
    workflows: [
      {
        name: "toy",
        stateMachineName: "carebook-toy",
        definition,
        functions: {
          AskFunction: async (payload) => {
            const { id, taskToken } = payload as { id: string; taskToken: string };
            asked.set(id, taskToken);
            return null;
          },
        },
      },
    ],
  });
  const issuer = await createLocalIssuer({ issuerUrl: "http://127.0.0.1/local-auth", audience: "test" });
  server = createApiServer({ routes: {}, issuer, extraRoutes: stepFunctionsRoutes(engine) });
  url = await listen(server, 0);
  client = new SFNClient({
    endpoint: `${url}/local/sfn`,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  engine?.stopAll();
  client?.destroy();
  await new Promise((r) => server?.close(r));
});

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

const start = (name: string, id: string) =>
  client.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name, input: JSON.stringify({ id }) }));

describe("local Step Functions endpoint (AWS JSON 1.0) with the real SFNClient", () => {
  it("starts an execution, resumes it by SendTaskSuccess, describes and lists it", async () => {
    const started = await start("exec-1", "one");
    expect(started.executionArn).toBe("arn:aws:states:local:000000000000:execution:carebook-toy:exec-1");
    expect(started.startDate).toBeInstanceOf(Date);
    const token = await until(() => asked.get("one"));

    const running = await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(running).toMatchObject({ status: "RUNNING", name: "exec-1", stateMachineArn: STATE_MACHINE, input: '{"id":"one"}' });
    expect(running.startDate!.getTime()).toBe(started.startDate!.getTime());

    await client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ ok: true }) }));
    const done = await until(async () => {
      const d = await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
      return d.status === "SUCCEEDED" ? d : undefined;
    });
    expect(JSON.parse(done.output!)).toEqual({ id: "one", answer: { ok: true } });
    expect(done.stopDate).toBeInstanceOf(Date);

    const listed = await client.send(new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE, statusFilter: "SUCCEEDED" }));
    expect(listed.executions?.map((e) => e.name)).toContain("exec-1");
  });

  it("maps errors to SDK exceptions named by the AWS code", async () => {
    const error = (p: Promise<unknown>) => p.then(() => undefined, (e: Error & { $metadata?: { httpStatusCode?: number } }) => e);

    const first = await start("exec-2", "two");
    // Same name and input while running: the same execution (idempotent); other input: refused.
    expect((await start("exec-2", "two")).executionArn).toBe(first.executionArn);
    const exists = await error(start("exec-2", "other"));
    expect(exists).toMatchObject({ name: "ExecutionAlreadyExists", $metadata: { httpStatusCode: 400 } });

    const token = await until(() => asked.get("two"));
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: "{}" }));
    expect(await error(client.send(new SendTaskSuccessCommand({ taskToken: token, output: "{}" })))).toMatchObject({ name: "TaskTimedOut" });
    expect(await error(client.send(new SendTaskSuccessCommand({ taskToken: "garbage", output: "{}" })))).toMatchObject({ name: "InvalidToken" });
    expect(await error(client.send(new SendTaskSuccessCommand({ taskToken: token, output: "not json" })))).toMatchObject({ name: "InvalidOutput" });
    expect(
      await error(client.send(new StartExecutionCommand({ stateMachineArn: `${STATE_MACHINE}-nope`, input: "{}" }))),
    ).toMatchObject({ name: "StateMachineDoesNotExist" });
    expect(await error(client.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, input: "{" })))).toMatchObject({
      name: "InvalidExecutionInput",
    });
    expect(
      await error(client.send(new DescribeExecutionCommand({ executionArn: `${first.executionArn}-nope` }))),
    ).toMatchObject({ name: "ExecutionDoesNotExist" });
  });

  it("routes SendTaskFailure into the definition's Catch; a failed execution reports error and cause", async () => {
    const { executionArn } = await start("exec-3", "three");
    const token = await until(() => asked.get("three"));
    await client.send(new SendTaskFailureCommand({ taskToken: token, error: "Carebook.Rejected", cause: "no" }));
    const failed = await until(async () => {
      const d = await client.send(new DescribeExecutionCommand({ executionArn }));
      return d.status === "FAILED" ? d : undefined;
    });
    expect(failed).toMatchObject({ error: "Carebook.Rejected", cause: "rejected" });
    expect(failed.output).toBeUndefined();
  });

  it("stops an execution, and lists executions locally with filters", async () => {
    const { executionArn } = await start("exec-4", "four");
    await until(() => asked.get("four"));
    const stopped = await client.send(new StopExecutionCommand({ executionArn, error: "Test.Stop" }));
    expect(stopped.stopDate).toBeInstanceOf(Date);
    expect(engine.describeExecution(executionArn!)).toMatchObject({ status: "ABORTED", error: "Test.Stop" });

    const res = await fetch(`${url}/local/executions?workflow=toy&status=aborted`);
    const body = (await res.json()) as { executions: Array<{ name: string; status: string; history: unknown[] }> };
    expect(body.executions.map((e) => e.name)).toEqual(["exec-4"]);
    expect(body.executions[0]!.history.length).toBeGreaterThan(0);
  });

  it("serves the handlers' own helpers (functions/lib/workflows.ts) unchanged", async ({ onTestFinished }) => {
    const saved = { ...process.env };
    onTestFinished(() => {
      process.env = saved;
    });
    process.env.CAREBOOK_SFN_ENDPOINT = `${url}/local/sfn`;
    process.env.CAREBOOK_PRESCREENING_WORKFLOW_ARN = STATE_MACHINE; // the toy stands in
    const { startWorkflow, sendTaskSuccess, isTaskGone } = await import("../../functions/lib/workflows");
    const started = await startWorkflow("prescreening", "exec-5", { id: "five" });
    expect(started?.executionArn).toMatch(/:exec-5$/);
    // A retried start with the same name: swallowed, as the helper promises.
    expect(await startWorkflow("prescreening", "exec-5", { id: "changed" })).toBeUndefined();
    const token = await until(() => asked.get("five"));
    await sendTaskSuccess(token, { fine: true });
    const late = await sendTaskSuccess(token, {}).then(() => undefined, (e: unknown) => e);
    expect(isTaskGone(late)).toBe(true);
  });

  it("refuses an unknown operation", async () => {
    const res = await fetch(`${url}/local/sfn/`, {
      method: "POST",
      headers: { "x-amz-target": "AWSStepFunctions.CreateStateMachine", "content-type": "application/x-amz-json-1.0" },
      body: "{}",
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("x-amzn-errortype")).toBe("UnknownOperationException");
    expect(await res.json()).toMatchObject({ __type: "UnknownOperationException" });
  });
});
