import { describe, expect, it } from "vitest";
import { createLocalStepFunctions, TaskTokenError, type LocalWorkflow } from "../../packages/local/src/stepfunctions/engine";

const definition = {
  StartAt: "Prepare",
  States: {
    Prepare: { Type: "Task", Resource: "${PrepareFunction}", ResultPath: "$.prepared", Next: "AwaitDecision" },
    AwaitDecision: {
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
      Parameters: { FunctionName: "${AskFunction}", Payload: { "taskToken.$": "$$.Task.Token", "id.$": "$.id" } },
      TimeoutSeconds: 1,
      ResultPath: "$.decision",
      Catch: [
        { ErrorEquals: ["States.Timeout"], ResultPath: "$.failure", Next: "TimedOut" },
        { ErrorEquals: ["Carebook.Rejected"], ResultPath: "$.failure", Next: "Rejected" },
      ],
      Next: "WaitUntilTomorrow",
    },
    WaitUntilTomorrow: { Type: "Wait", Seconds: 86_400, Next: "Done" },
    Done: { Type: "Succeed" },
    TimedOut: { Type: "Pass", Result: "timed-out", ResultPath: "$.outcome", End: true },
    Rejected: { Type: "Pass", Result: "rejected", ResultPath: "$.outcome", End: true },
  },
};

function setup() {
  const asked: Array<{ taskToken: string; id: string }> = [];
  const workflow: LocalWorkflow = {
    name: "decision",
    definition,
    functions: {
      PrepareFunction: async (input) => ({ seen: (input as { id: string }).id }),
      AskFunction: async (payload) => {
        asked.push(payload as { taskToken: string; id: string });
        return null;
      },
    },
  };
  const sfn = createLocalStepFunctions({ workflows: [workflow], waitTimeOverrides: { WaitUntilTomorrow: 0 } });
  return { sfn, asked };
}

async function until<T>(probe: () => T | undefined, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("local Step Functions", () => {
  it("waits on a task token until SendTaskSuccess, then runs on (accelerated waits)", async () => {
    const { sfn, asked } = setup();
    const { executionArn } = sfn.startExecution("decision", { id: "a-1" });
    const ask = await until(() => asked[0]);
    expect(ask.id).toBe("a-1");
    expect(ask.taskToken).toMatch(/^arn:aws:states:local:000000000000:execution:decision:.+#/);
    expect(sfn.describeExecution(executionArn)).toMatchObject({ status: "RUNNING", currentStates: ["AwaitDecision"] });

    sfn.sendTaskSuccess(ask.taskToken, { approved: true });
    const done = await until(() => (sfn.describeExecution(executionArn)!.status === "SUCCEEDED" ? sfn.describeExecution(executionArn) : undefined));
    expect(done!.output).toEqual({ id: "a-1", prepared: { seen: "a-1" }, decision: { approved: true } });
    expect(done!.history.filter((h) => h.type === "StateEntered").map((h) => h.state)).toEqual([
      "Prepare",
      "AwaitDecision",
      "WaitUntilTomorrow",
      "Done",
    ]);
    expect(() => sfn.sendTaskSuccess(ask.taskToken, {})).toThrow(TaskTokenError);
  });

  it("times a token wait out into its Catch, and refuses a late answer", async () => {
    const { sfn, asked } = setup();
    const { executionArn } = sfn.startExecution("decision", { id: "a-2" });
    const ask = await until(() => asked[0]);
    const done = await until(() => (sfn.describeExecution(executionArn)!.status !== "RUNNING" ? sfn.describeExecution(executionArn) : undefined), 5000);
    expect(done!.status).toBe("SUCCEEDED");
    expect(done!.output).toMatchObject({ outcome: "timed-out", failure: { Error: "States.Timeout" } });
    expect(() => sfn.sendTaskSuccess(ask.taskToken, {})).toThrow(/Timed Out/);
  });

  it("routes SendTaskFailure by its error name", async () => {
    const { sfn, asked } = setup();
    const { executionArn } = sfn.startExecution("decision", { id: "a-3" });
    const ask = await until(() => asked[0]);
    sfn.sendTaskFailure(ask.taskToken, "Carebook.Rejected", "nurse said no");
    const done = await until(() => (sfn.describeExecution(executionArn)!.status !== "RUNNING" ? sfn.describeExecution(executionArn) : undefined));
    expect(done!.output).toMatchObject({ outcome: "rejected", failure: { Error: "Carebook.Rejected", Cause: "nurse said no" } });
    expect(sfn.listExecutions().map((e) => e.executionArn)).toEqual([executionArn]);
  });

  it("aborts running executions on shutdown", async () => {
    const { sfn, asked } = setup();
    const { executionArn } = sfn.startExecution("decision", { id: "a-4" });
    await until(() => asked[0]);
    sfn.stopAll();
    expect(sfn.describeExecution(executionArn)!.status).toBe("ABORTED");
  });
});
