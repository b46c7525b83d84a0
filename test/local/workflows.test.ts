/** The workflow table run locally: Lambda invocation of Task functions, and the sweeper's timer. */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { HandlerLoader, LambdaHandler } from "../../packages/local/src/http";
import { lambdaTask, localWorkflows, startSweeper } from "../../packages/local/src/workflows";
import { workflowEntries } from "../../functions/workflows/index";

describe("a Task's Lambda", () => {
  it("loads its handler on first use, passes JSON copies and a Lambda context", async () => {
    const loads: string[] = [];
    let seen: { event: unknown; functionName: string; remaining: number } | undefined;
    const loader: HandlerLoader = async (path) => {
      loads.push(path);
      return (async (event: { when: unknown }, context) => {
        seen = { event, functionName: context.functionName, remaining: context.getRemainingTimeInMillis() };
        return { echoed: event.when, dropped: undefined, at: new Date(0) };
      }) as LambdaHandler;
    };
    const task = lambdaTask("functions/workflows/toy.handler", loader);
    expect(loads).toEqual([]);
    const payload = { when: "now", nested: { a: 1 } };
    const result = await task(payload);
    expect(loads).toEqual(["functions/workflows/toy.handler"]);
    expect(seen!.event).toEqual(payload);
    expect(seen!.event).not.toBe(payload);
    expect(seen!.functionName).toBe("carebook-local-workflows-toy");
    expect(seen!.remaining).toBeGreaterThan(0);
    expect(result).toEqual({ echoed: "now", at: "1970-01-01T00:00:00.000Z" });
    expect(await lambdaTask("x.handler", async () => (async () => undefined) as LambdaHandler)({})).toBeNull();
  });

  it("keeps a thrown error's name (what Retry/Catch match); the cause is Lambda's error document", async () => {
    const task = lambdaTask("functions/workflows/toy.handler", async () => (async () => {
      throw Object.assign(new Error("the hold is gone"), { name: "Carebook.HoldGone" });
    }) as LambdaHandler);
    const error = (await task({}).catch((e: Error) => e)) as Error;
    expect(error.name).toBe("Carebook.HoldGone");
    expect(JSON.parse(error.message)).toMatchObject({ errorType: "Carebook.HoldGone", errorMessage: "the hold is gone" });
  });

  it("fails with Runtime.ImportModuleError while its module is missing", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const task = lambdaTask("functions/workflows/missing.handler", async () => {
      throw new Error("Handler module not found: functions/workflows/missing.ts");
    });
    expect(await task({}).catch((e: Error) => e.name)).toBe("Runtime.ImportModuleError");
    spy.mockRestore();
  });

  it("every workflow of the table becomes a local workflow named as the stack names it", () => {
    const local = localWorkflows(workflowEntries(), async () => (async () => null) as LambdaHandler);
    expect(local.map((w) => [w.name, w.stateMachineName])).toEqual(workflowEntries().map(([name]) => [name, `carebook-${name}`]));
    for (const w of local) expect(Object.keys(w.functions).length).toBeGreaterThan(0);
  });
});

describe("the sweeper's timer", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("runs after each period, never twice at once, next period counted from the end of a run", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const runs: Array<{ event: { "detail-type": string; time: string }; done: (error?: Error) => void }> = [];
    const loader: HandlerLoader = async () =>
      ((event: { "detail-type": string; time: string }) =>
        new Promise<void>((resolve, reject) => runs.push({ event, done: (e) => (e ? reject(e) : resolve()) }))) as LambdaHandler;
    const sweeper = startSweeper({ handlerPath: "functions/workflows/sweeper.handler", periodMs: 5 * 60_000, loadHandler: loader });

    await vi.advanceTimersByTimeAsync(5 * 60_000 - 1);
    expect(runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.event["detail-type"]).toBe("Scheduled Event");

    // A day passes while the run is still going: no second run meanwhile.
    await vi.advanceTimersByTimeAsync(24 * 3600_000);
    expect(runs).toHaveLength(1);
    runs[0]!.done();
    await vi.advanceTimersByTimeAsync(5 * 60_000 - 1);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(2);

    // A failing run is logged, and the next one still comes.
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    runs[1]!.done(new Error("DynamoDB is down"));
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(spy).toHaveBeenCalledWith(expect.stringContaining("failed"), expect.any(Error));
    spy.mockRestore();
    expect(runs).toHaveLength(3);

    const stopped = sweeper.stop();
    runs[2]!.done();
    await stopped;
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(runs).toHaveLength(3);
  });
});
