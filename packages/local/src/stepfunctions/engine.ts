/**
 * A local Step Functions: runs the workflows' own ASL definitions with aws-local-stepfunctions,
 * calling local functions for the Task states, and emulating task tokens
 * (`arn:aws:states:::lambda:invoke.waitForTaskToken` + `$$.Task.Token`), which the library lacks.
 * See docs/workflows-local-notes.md for what the library does and does not do.
 */
import "./polyfill";
import { randomUUID } from "node:crypto";
import { StateMachine, type RunOptions } from "aws-local-stepfunctions";

type Json = unknown;
type Overrides = NonNullable<RunOptions["overrides"]>;
/** A Lambda as Step Functions sees it: JSON in, JSON out. */
export type TaskFunction = (payload: Json) => Promise<Json>;

export interface LocalWorkflow {
  name: string;
  /** The ASL definition, with `${Placeholder}` strings where AWS gets resource ARNs. */
  definition: Record<string, unknown>;
  /** What each placeholder stands for locally: the function that Task invokes. */
  functions: Record<string, TaskFunction>;
}

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED";

export interface ExecutionRecord {
  executionArn: string;
  workflow: string;
  status: ExecutionStatus;
  startDate: string;
  stopDate?: string;
  input: Json;
  output?: Json;
  error?: { name: string; message: string };
  /** States entered and not yet left (several while a Parallel runs). */
  currentStates: string[];
  history: Array<{ at: string; type: string; state?: string }>;
}

export class TaskTokenError extends Error {
  constructor(name: "TaskDoesNotExist" | "TaskTimedOut" | "InvalidToken", message: string) {
    super(message);
    this.name = name;
  }
}

const WAIT_FOR_TOKEN = "arn:aws:states:::lambda:invoke.waitForTaskToken";
const placeholder = /^\$\{(\w+)\}$/;

interface TaskState {
  Type: string;
  Resource?: string;
  Parameters?: { FunctionName?: string; [k: string]: unknown };
  TimeoutSeconds?: number;
  Branches?: Array<{ States: Record<string, TaskState> }>;
  Iterator?: { States: Record<string, TaskState> };
  ItemProcessor?: { States: Record<string, TaskState> };
}

/** Every state of a definition, nested branches included (override keys are state names). */
function allStates(states: Record<string, TaskState>): Array<[string, TaskState]> {
  return Object.entries(states).flatMap(([name, state]) => [
    [name, state] as [string, TaskState],
    ...(state.Branches ?? []).flatMap((b) => allStates(b.States)),
    ...[state.Iterator, state.ItemProcessor].flatMap((p) => (p ? allStates(p.States) : [])),
  ]);
}

function functionFor(workflow: LocalWorkflow, stateName: string, reference: string | undefined): TaskFunction {
  const key = reference?.match(placeholder)?.[1];
  const fn = key ? workflow.functions[key] : undefined;
  if (!fn) throw new Error(`${workflow.name}.${stateName}: no local function for ${reference}`);
  return fn;
}

export function createLocalStepFunctions(options: {
  workflows: LocalWorkflow[];
  /** Milliseconds per Wait state name (tests accelerate waits here). */
  waitTimeOverrides?: Record<string, number>;
}) {
  const pendingTokens = new Map<string, { resolve: (v: Json) => void; reject: (e: Error) => void; executionArn: string }>();
  const executions = new Map<string, ExecutionRecord & { abort: () => void }>();
  const machines = new Map<string, { machine: StateMachine; workflow: LocalWorkflow; tokenStates: Set<string> }>();

  for (const workflow of options.workflows) {
    const machine = new StateMachine(workflow.definition as never);
    const states = allStates(workflow.definition.States as Record<string, TaskState>);
    const tokenStates = new Set(states.filter(([, s]) => s.Type === "Task" && s.Resource === WAIT_FOR_TOKEN).map(([n]) => n));
    machines.set(workflow.name, { machine, workflow, tokenStates });
  }

  function overridesFor(name: string, executionArn: string): Overrides {
    const { workflow, tokenStates } = machines.get(name)!;
    const handlers: Record<string, (input: never) => Promise<Json>> = {};
    for (const [stateName, state] of allStates(workflow.definition.States as Record<string, TaskState>)) {
      if (state.Type !== "Task") continue;
      if (tokenStates.has(stateName)) {
        const fn = functionFor(workflow, stateName, state.Parameters?.FunctionName);
        const timeoutMs = (state.TimeoutSeconds ?? 60) * 1000;
        handlers[stateName] = (async (input: { Payload?: { taskToken?: string } }) => {
          const token = input.Payload?.taskToken;
          if (!token) throw new Error(`${workflow.name}.${stateName}: Payload.taskToken.$ must be $$.Task.Token`);
          const settled = new Promise<Json>((resolve, reject) => pendingTokens.set(token, { resolve, reject, executionArn }));
          // The library times the state out but never tells the task: forget the token then,
          // so a late SendTaskSuccess fails as it does in AWS.
          setTimeout(() => pendingTokens.delete(token), timeoutMs).unref();
          await fn(input.Payload);
          return settled;
        }) as never;
      } else {
        const fn = functionFor(workflow, stateName, state.Resource);
        handlers[stateName] = ((input: Json) => fn(input)) as never;
      }
    }
    return { taskResourceLocalHandlers: handlers as never, waitTimeOverrides: options.waitTimeOverrides };
  }

  async function record(executionArn: string, logs: AsyncGenerator<{ type: string; state?: { name: string } }>) {
    for await (const event of logs) {
      const execution = executions.get(executionArn)!;
      execution.history.push({ at: new Date().toISOString(), type: event.type, state: event.state?.name });
      if (event.type === "StateEntered" && event.state) execution.currentStates.push(event.state.name);
      if ((event.type === "StateExited" || event.type === "StateFailed") && event.state) {
        const i = execution.currentStates.indexOf(event.state.name);
        if (i >= 0) execution.currentStates.splice(i, 1);
      }
    }
  }

  return {
    /** StartExecution: returns at once; the run goes on in this process. */
    startExecution(workflowName: string, input: Json, name: string = randomUUID()) {
      const entry = machines.get(workflowName);
      if (!entry) throw new Error(`unknown workflow ${workflowName}`);
      const executionArn = `arn:aws:states:local:000000000000:execution:${workflowName}:${name}`;
      if (executions.has(executionArn)) throw new Error(`ExecutionAlreadyExists: ${executionArn}`);
      const run = entry.machine.run(input as never, {
        overrides: overridesFor(workflowName, executionArn),
        context: { Execution: { Id: executionArn, Name: name }, Task: { get Token() { return `${executionArn}#${randomUUID()}`; } } } as never,
        noThrowOnAbort: true,
      });
      const startDate = new Date().toISOString();
      executions.set(executionArn, { executionArn, workflow: workflowName, status: "RUNNING", startDate, input, currentStates: [], history: [], abort: run.abort });
      void record(executionArn, run.eventLogs as never);
      run.result.then(
        (output) => {
          const e = executions.get(executionArn)!;
          Object.assign(e, { status: e.status === "ABORTED" ? "ABORTED" : "SUCCEEDED", output, stopDate: new Date().toISOString() });
        },
        (error: Error) => {
          Object.assign(executions.get(executionArn)!, { status: "FAILED", error: { name: error.name, message: error.message }, stopDate: new Date().toISOString() });
        },
      );
      return { executionArn, startDate };
    },
    sendTaskSuccess(token: string, output: Json) {
      const pending = pendingTokens.get(token);
      if (!pending) throw new TaskTokenError("TaskTimedOut", "Task Timed Out or does not exist");
      pendingTokens.delete(token);
      pending.resolve(output);
    },
    sendTaskFailure(token: string, error: string, cause = "") {
      const pending = pendingTokens.get(token);
      if (!pending) throw new TaskTokenError("TaskTimedOut", "Task Timed Out or does not exist");
      pendingTokens.delete(token);
      pending.reject(Object.assign(new Error(cause), { name: error }));
    },
    describeExecution(executionArn: string): ExecutionRecord | undefined {
      const e = executions.get(executionArn);
      if (!e) return undefined;
      const { abort: _abort, ...view } = e;
      return view;
    },
    listExecutions(): ExecutionRecord[] {
      return [...executions.keys()].map((arn) => this.describeExecution(arn)!);
    },
    /** Aborts every running execution and forgets their tokens (runtime shutdown). */
    stopAll() {
      for (const e of executions.values()) {
        if (e.status === "RUNNING") {
          e.status = "ABORTED";
          e.abort();
        }
      }
      for (const [token, p] of pendingTokens) {
        pendingTokens.delete(token);
        p.reject(Object.assign(new Error("execution aborted"), { name: "States.Aborted" }));
      }
    },
  };
}

export type LocalStepFunctions = ReturnType<typeof createLocalStepFunctions>;
