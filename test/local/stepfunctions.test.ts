import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createLocalStepFunctions,
  StepFunctionsError,
  TaskTokenError,
  type LocalWorkflow,
} from "../../packages/local/src/stepfunctions/engine";

const WAIT_FOR_TOKEN = "arn:aws:states:::lambda:invoke.waitForTaskToken";

const definition = {
  StartAt: "Prepare",
  States: {
    Prepare: { Type: "Task", Resource: "${PrepareFunction}", ResultPath: "$.prepared", Next: "AwaitDecision" },
    AwaitDecision: {
      Type: "Task",
      Resource: WAIT_FOR_TOKEN,
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
    expect(() => sfn.sendTaskSuccess(ask.taskToken, {})).toThrow(expect.objectContaining({ name: "TaskTimedOut" }));
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

  it("aborts running executions on shutdown, and forgets their tokens", async () => {
    const { sfn, asked } = setup();
    const { executionArn } = sfn.startExecution("decision", { id: "a-4" });
    const ask = await until(() => asked[0]);
    sfn.stopAll();
    expect(sfn.describeExecution(executionArn)!.status).toBe("ABORTED");
    expect(() => sfn.sendTaskSuccess(ask.taskToken, {})).toThrow(expect.objectContaining({ name: "TaskTimedOut" }));
  });

  it("starts idempotently by name and input while running, like a Standard workflow", async () => {
    const { sfn, asked } = setup();
    const first = sfn.startExecution("decision", { id: "a-5" }, "appointment-a-5");
    expect(sfn.startExecution("decision", { id: "a-5" }, "appointment-a-5")).toEqual(first);
    expect(() => sfn.startExecution("decision", { id: "other" }, "appointment-a-5")).toThrow(
      expect.objectContaining({ name: "ExecutionAlreadyExists" }),
    );
    const ask = await until(() => asked[0]);
    sfn.sendTaskSuccess(ask.taskToken, {});
    await until(() => (sfn.describeExecution(first.executionArn)!.status === "SUCCEEDED" ? true : undefined));
    // Closed: the same name and input are refused too.
    expect(() => sfn.startExecution("decision", { id: "a-5" }, "appointment-a-5")).toThrow(
      expect.objectContaining({ name: "ExecutionAlreadyExists" }),
    );
    expect(asked).toHaveLength(1);
    expect(() => sfn.startExecution("decision", {}, "has space")).toThrow(expect.objectContaining({ name: "InvalidName" }));
    expect(() => sfn.startExecution("nope", {})).toThrow(expect.objectContaining({ name: "StateMachineDoesNotExist" }));
    expect(() => sfn.sendTaskSuccess("not-a-token", {})).toThrow(expect.objectContaining({ name: "InvalidToken" }));
  });
});

describe("local Step Functions on fake timers", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Lets promise chains and the history queue catch up. */
  const settle = () => vi.advanceTimersByTimeAsync(0);

  it("reads TimeoutSecondsPath from the state input, not from Parameters (as AWS does)", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const payloads: Array<Record<string, unknown>> = [];
    const sfn = createLocalStepFunctions({
      workflows: [
        {
          name: "path",
          definition: {
            StartAt: "Await",
            States: {
              Await: {
                Type: "Task",
                Resource: WAIT_FOR_TOKEN,
                Parameters: { FunctionName: "${Ask}", Payload: { "token.$": "$$.Task.Token" } },
                TimeoutSecondsPath: "$.plan.waitSeconds",
                Catch: [{ ErrorEquals: ["States.Timeout"], ResultPath: "$.error", Next: "Late" }],
                End: true,
              },
              Late: { Type: "Pass", Result: "late", ResultPath: "$.outcome", Next: "Linger" },
              Linger: { Type: "Wait", Seconds: 86_400, End: true },
            },
          },
          functions: {
            Ask: async (p) => {
              payloads.push(p as Record<string, unknown>);
              return null;
            },
          },
        },
      ],
    });
    const { executionArn } = sfn.startExecution("path", { plan: { waitSeconds: 3600 } });
    await settle();
    expect(payloads).toHaveLength(1);
    expect(Object.keys(payloads[0]!)).toEqual(["token"]); // the hidden timeout never reaches the function
    await vi.advanceTimersByTimeAsync(3599_000);
    expect(sfn.describeExecution(executionArn)!.status).toBe("RUNNING");
    await vi.advanceTimersByTimeAsync(1_000);
    await settle();
    // The execution goes on, but the token died with the state.
    expect(sfn.describeExecution(executionArn)).toMatchObject({ status: "RUNNING", currentStates: ["Linger"] });
    expect(() => sfn.sendTaskSuccess(payloads[0]!.token as string, {})).toThrow(expect.objectContaining({ name: "TaskTimedOut" }));
    await vi.advanceTimersByTimeAsync(86_400_000);
    expect(sfn.describeExecution(executionArn)).toMatchObject({ status: "SUCCEEDED", output: { outcome: "late" } });
  });

  it("after a timed-out attempt is retried, only the new token is valid", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const tokens: string[] = [];
    const sfn = createLocalStepFunctions({
      workflows: [
        {
          name: "retry",
          definition: {
            StartAt: "Await",
            States: {
              Await: {
                Type: "Task",
                Resource: WAIT_FOR_TOKEN,
                Parameters: { FunctionName: "${Ask}", Payload: { "token.$": "$$.Task.Token" } },
                TimeoutSeconds: 60,
                Retry: [{ ErrorEquals: ["States.Timeout"], IntervalSeconds: 1, MaxAttempts: 1 }],
                End: true,
              },
            },
          },
          functions: {
            Ask: async (p) => {
              tokens.push((p as { token: string }).token);
              return null;
            },
          },
        },
      ],
    });
    const { executionArn } = sfn.startExecution("retry", {});
    await settle();
    await vi.advanceTimersByTimeAsync(60_000); // first attempt times out; retry after 1 s
    await vi.advanceTimersByTimeAsync(1_000);
    await settle();
    expect(tokens).toHaveLength(2);
    expect(() => sfn.sendTaskSuccess(tokens[0]!, {})).toThrow(expect.objectContaining({ name: "TaskTimedOut" }));
    sfn.sendTaskSuccess(tokens[1]!, { ok: 2 });
    await settle();
    expect(sfn.describeExecution(executionArn)).toMatchObject({ status: "SUCCEEDED", output: { ok: 2 } });
  });

  it("does not time plain Tasks out after the library's 60 s default (AWS has none)", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    let finish!: (v: unknown) => void;
    const sfn = createLocalStepFunctions({
      workflows: [
        {
          name: "slow",
          definition: { StartAt: "Work", States: { Work: { Type: "Task", Resource: "${Slow}", End: true } } },
          functions: { Slow: () => new Promise((resolve) => (finish = resolve)) },
        },
      ],
    });
    const { executionArn } = sfn.startExecution("slow", {});
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(sfn.describeExecution(executionArn)!.status).toBe("RUNNING");
    finish({ done: true });
    await settle();
    expect(sfn.describeExecution(executionArn)).toMatchObject({ status: "SUCCEEDED", output: { done: true } });
  });

  it("forgets the tokens of Map iterations that a failing sibling aborted", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const asked: Array<{ token: string; item: string }> = [];
    const sfn = createLocalStepFunctions({
      workflows: [
        {
          name: "map",
          definition: {
            StartAt: "Each",
            States: {
              Each: {
                Type: "Map",
                ItemsPath: "$.items",
                MaxConcurrency: 2,
                ItemProcessor: {
                  ProcessorConfig: { Mode: "INLINE" },
                  StartAt: "AwaitItem",
                  States: {
                    AwaitItem: {
                      Type: "Task",
                      Resource: WAIT_FOR_TOKEN,
                      Parameters: { FunctionName: "${Ask}", Payload: { "token.$": "$$.Task.Token", "item.$": "$" } },
                      TimeoutSeconds: 3600,
                      End: true,
                    },
                  },
                },
                Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "Linger" }],
                End: true,
              },
              Linger: { Type: "Wait", Seconds: 86_400, End: true },
            },
          },
          functions: {
            Ask: async (p) => {
              asked.push(p as { token: string; item: string });
              return null;
            },
          },
        },
      ],
    });
    const { executionArn } = sfn.startExecution("map", { items: ["a", "b"] });
    await settle();
    expect(asked.map((a) => a.item).sort()).toEqual(["a", "b"]);
    expect(sfn.describeExecution(executionArn)!.currentStates.sort()).toEqual(["AwaitItem", "AwaitItem", "Each"]);
    const a = asked.find((x) => x.item === "a")!;
    const b = asked.find((x) => x.item === "b")!;
    sfn.sendTaskFailure(a.token, "Carebook.Boom", "item a failed");
    await settle();
    const execution = sfn.describeExecution(executionArn)!;
    expect(execution).toMatchObject({ status: "RUNNING", currentStates: ["Linger"] });
    expect(() => sfn.sendTaskSuccess(b.token, {})).toThrow(expect.objectContaining({ name: "TaskTimedOut" }));
  });

  it("reports a failed execution's error and cause; a thrown name is what Catch matches", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const sfn = createLocalStepFunctions({
      workflows: [
        {
          name: "fails",
          definition: {
            StartAt: "Try",
            States: {
              Try: {
                Type: "Task",
                Resource: "${Thrower}",
                Catch: [{ ErrorEquals: ["Carebook.HoldGone"], ResultPath: "$.error", Next: "Gone" }],
                End: true,
              },
              Gone: { Type: "Fail", Error: "Carebook.Ended", Cause: "hold gone" },
            },
          },
          functions: {
            Thrower: async () => {
              throw Object.assign(new Error("no hold"), { name: "Carebook.HoldGone" });
            },
          },
        },
      ],
    });
    const { executionArn } = sfn.startExecution("fails", {});
    await settle();
    expect(sfn.describeExecution(executionArn)).toMatchObject({ status: "FAILED", error: "Carebook.Ended", cause: "hold gone" });
    const failed = sfn.describeExecution(executionArn)!.history.find((h) => h.type === "StateFailed");
    expect(failed).toMatchObject({ state: "Try", error: "Carebook.HoldGone", cause: "no hold" });
  });
});

describe("errors", () => {
  it("are StepFunctionsErrors named by their AWS code", () => {
    const error = new TaskTokenError("TaskTimedOut", "late");
    expect(error).toBeInstanceOf(StepFunctionsError);
    expect(error.name).toBe("TaskTimedOut");
  });
});
