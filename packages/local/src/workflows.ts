/**
 * The workflow table (functions/workflows/index.ts) run locally: each workflow's definition
 * on the local Step Functions, each `${Placeholder}` a handler module invoked in-process the
 * way Step Functions invokes a Lambda, and the sweeper on a timer instead of EventBridge.
 */
import { randomUUID } from "node:crypto";
import type { Db } from "@carebook/core/entities/index";
import { toUtcIso } from "@carebook/core/schedule/slots";
import type { WorkflowDefinition } from "../../../functions/workflows/index";
import { track } from "./activity";
import type { ControllableClock } from "./clock";
import { createLambdaContext, DEFAULT_TIMEOUT_MS, invokeLambda, type HandlerLoader } from "./http";
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalStepFunctions, type LocalWorkflow, type TaskFunction } from "./stepfunctions/engine";

/** The state machine's name, as the Workflows stack names it for a stage ("carebook-<name>"). */
export const stateMachineNameOf = (workflow: string) => `carebook-${workflow}`;

const clone = (value: unknown): unknown => (value === undefined ? null : JSON.parse(JSON.stringify(value)));

/**
 * What Step Functions reports for an error a Lambda threw: the error's `name` is the error
 * type (what `Retry`/`Catch` match), the cause is the Lambda runtime's JSON error document.
 */
export function lambdaError(thrown: unknown): Error {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const errorType = thrown instanceof Error ? error.name : typeof thrown;
  const cause = JSON.stringify({ errorType, errorMessage: error.message, trace: (error.stack ?? "").split("\n") });
  return Object.assign(new Error(cause), { name: errorType });
}

/**
 * A Task's Lambda: the handler module is imported on first use (so the runtime starts even
 * while a module is missing or broken), then called with a JSON copy of the payload and a
 * Lambda context; its result is copied back as JSON.
 */
export function lambdaTask(handlerPath: string, loadHandler: HandlerLoader): TaskFunction {
  return (payload) => track(invokeTask(handlerPath, loadHandler, payload));
}

async function invokeTask(handlerPath: string, loadHandler: HandlerLoader, payload: unknown): Promise<unknown> {
  let handler;
  try {
    handler = await loadHandler(handlerPath);
  } catch (error) {
    console.error(`[local-sfn] cannot load ${handlerPath}:`, (error as Error).message);
    throw Object.assign(lambdaError(error), { name: "Runtime.ImportModuleError" });
  }
  const context = createLambdaContext(handlerPath, randomUUID(), DEFAULT_TIMEOUT_MS);
  try {
    return clone(await invokeLambda(handler, clone(payload), context));
  } catch (error) {
    // Named errors ("Carebook.HoldGone") are the workflow's business; others are bugs.
    if (!(error instanceof Error) || !error.name.includes(".")) console.error(`[local-sfn] ${handlerPath} threw:`, error);
    throw lambdaError(error);
  }
}

/** The engine's view of workflow table entries. */
export function localWorkflows(entries: Array<[string, WorkflowDefinition]>, loadHandler: HandlerLoader): LocalWorkflow[] {
  return entries.map(([name, workflow]) => ({
    name,
    stateMachineName: stateMachineNameOf(name),
    definition: workflow.definition,
    functions: Object.fromEntries(
      Object.entries(workflow.functions).map(([placeholder, fn]) => [placeholder, lambdaTask(fn.handler, loadHandler)]),
    ),
  }));
}

export interface Sweeper {
  /** Runs it now (waits for a run in progress first); resolves when done. */
  runNow(): Promise<void>;
  /** No more runs; waits for one in progress. */
  stop(): Promise<void>;
}

/**
 * Runs a scheduled handler every `periodMs`, first after one period, as EventBridge would —
 * but the next run is scheduled only when the previous one has finished, so runs never
 * overlap and a jump of the controllable clock causes one run, not one per period skipped.
 * Errors are logged, not fatal. On the controllable clock, a run falling due during a jump
 * waits for the jump's end: one run per jump, at the new time.
 */
export function startSweeper(options: { handlerPath: string; periodMs: number; loadHandler: HandlerLoader; clock?: ControllableClock }): Sweeper {
  const { handlerPath, periodMs, loadHandler, clock } = options;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  async function sweep() {
    try {
      const handler = await loadHandler(handlerPath);
      const time = new Date();
      const event = {
        version: "0",
        id: randomUUID(),
        "detail-type": "Scheduled Event",
        source: "aws.events",
        account: LOCAL_ACCOUNT,
        time: time.toISOString().replace(/\.\d{3}Z$/, "Z"),
        region: LOCAL_REGION,
        resources: [`arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/carebook-local-sweeper`],
        detail: {},
      };
      await invokeLambda(handler, event, createLambdaContext(handlerPath, randomUUID(), DEFAULT_TIMEOUT_MS));
    } catch (error) {
      console.error(`[local-sweeper] ${handlerPath} failed:`, error);
    }
  }

  function run(): Promise<void> {
    if (!running) {
      clearTimeout(timer);
      running = track(sweep()).finally(() => {
        running = undefined;
        schedule();
      });
    }
    return running;
  }

  function schedule() {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => (clock ? clock.afterJump(() => void run()) : void run()), periodMs);
    timer.unref?.();
  }

  schedule();
  return {
    async runNow() {
      await running;
      await run();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/**
 * Executions live in this process only. After a restart on kept data (`.carebook/`), the holds
 * and bookings made before would wait for workflows that are gone, so the runtime starts them
 * again: the pre-screening of every hold (the definition's `ResumeAt` continues at the stage the
 * appointment is at; a hold that lapsed meanwhile just ends, and the sweeper releases it) and
 * the reminders of every booked appointment still ahead (past reminder times are skipped).
 * In AWS, executions outlive deployments and nothing of this is needed.
 */
export async function resumeWorkflows(db: Db, engine: LocalStepFunctions, regionId: string, now = Date.now()) {
  const { data: holds } = await db.hold.query.byRegion({ regionId }).go({ pages: "all" });
  const ahead = await db.appointment.query
    .byRegionTime({ regionId })
    .gte({ start: toUtcIso(now) })
    .go({ pages: "all", attributes: ["appointmentId", "status", "version"] });
  const resumed = { prescreening: 0, reminders: 0 };
  for (const hold of new Set(holds.map((h) => h.appointmentId))) {
    engine.startExecution("prescreening", { appointmentId: hold }, hold);
    resumed.prescreening++;
  }
  for (const a of ahead.data.filter((x) => x.status === "booked")) {
    engine.startExecution("reminders", { appointmentId: a.appointmentId, version: a.version }, `${a.appointmentId}-v${a.version}`);
    resumed.reminders++;
  }
  return resumed;
}
