/**
 * A local Step Functions: runs the workflows' own ASL definitions with aws-local-stepfunctions,
 * calling local functions for the Task states, and emulating task tokens
 * (`arn:aws:states:::lambda:invoke.waitForTaskToken` + `$$.Task.Token`), which the library lacks.
 * See docs/workflows-local-notes.md for what the library does and does not do.
 *
 * Where the library departs from AWS, the definition is adjusted before it is run (never the
 * file itself):
 * - `TimeoutSecondsPath` is evaluated by the library against the input *after* `Parameters`;
 *   AWS reads it from the state input. We copy the value into the Parameters under a hidden
 *   key and point the library there; the task function never sees that key.
 * - A Task without a timeout gets the library's 60 s default; AWS has none (the Lambda's own
 *   timeout applies). We give such Tasks the longest single timer Node has (≈24.8 days), so a
 *   slow handler does not fail them.
 * - Waits (and timeouts) longer than ≈24.8 days would end after 1 ms (Node's setTimeout
 *   limit): polyfill.ts installs long-timers.ts.
 */
import "./polyfill";
import { randomUUID } from "node:crypto";
import { ExecutionTimeoutError, StateMachine, type RunOptions } from "aws-local-stepfunctions";

type Json = unknown;
type Overrides = NonNullable<RunOptions["overrides"]>;
/** A Lambda as Step Functions sees it: JSON in, JSON out; a throw's `name` is the error. */
export type TaskFunction = (payload: Json) => Promise<Json>;

export interface LocalWorkflow {
  /** The workflow's name in the workflow table (and in `GET /local/executions`). */
  name: string;
  /** The state machine's name, the last part of its ARN. Default: `name`. */
  stateMachineName?: string;
  /** The ASL definition, with `${Placeholder}` strings where AWS gets resource ARNs. */
  definition: Record<string, unknown>;
  /** What each placeholder stands for locally: the function that Task invokes. */
  functions: Record<string, TaskFunction>;
}

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

export interface HistoryEntry {
  at: string;
  type: string;
  state?: string;
  /** Map iteration the event belongs to. */
  index?: number;
  error?: string;
  cause?: string;
}

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  /** The execution's name (last part of its ARN). */
  name: string;
  workflow: string;
  status: ExecutionStatus;
  startDate: string;
  stopDate?: string;
  input: Json;
  output?: Json;
  /** Error name and cause of a FAILED, TIMED_OUT or ABORTED execution (as DescribeExecution). */
  error?: string;
  cause?: string;
  /** States entered and not yet left (several while a Parallel or Map runs). */
  currentStates: string[];
  history: HistoryEntry[];
}

/** A Step Functions API error; `name` is the AWS error code (`__type`). */
export class StepFunctionsError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export class TaskTokenError extends StepFunctionsError {
  constructor(name: "TaskDoesNotExist" | "TaskTimedOut" | "InvalidToken", message: string) {
    super(name, message);
  }
}

export const LOCAL_ACCOUNT = "000000000000";
export const LOCAL_REGION = "local";
const WAIT_FOR_TOKEN = "arn:aws:states:::lambda:invoke.waitForTaskToken";
const LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke";
const placeholder = /^\$\{(\w+)\}$/;
/** The timeout of a Task that has none (AWS: none): 2^31 - 1 ms, in whole seconds, so that it
 * needs no help from long-timers.ts. */
export const DEFAULT_TASK_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
const TIMEOUT_KEY = "__carebookTimeoutSeconds";
const INPUT_KEY = "__carebookInput";
/** What AWS refuses in execution names. */
const invalidName = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown> & { FunctionName?: string; Payload?: unknown };
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  Branches?: Array<{ States: Record<string, AslState> }>;
  Iterator?: { States: Record<string, AslState> };
  ItemProcessor?: { States: Record<string, AslState> };
}

/** How a Task state of the prepared definition passes its input and timeout. */
interface TaskInfo {
  state: AslState;
  /** Parameters were added to carry the timeout: the real input is under INPUT_KEY. */
  wrapped: boolean;
  /** Literal timeout; undefined when it comes from the input (TIMEOUT_KEY). */
  timeoutSeconds?: number;
}

function children(state: AslState): Array<Record<string, AslState>> {
  return [
    ...(state.Branches ?? []).map((b) => b.States),
    ...[state.Iterator, state.ItemProcessor].flatMap((p) => (p ? [p.States] : [])),
  ];
}

/** Every state of a definition, nested branches included (override keys are state names,
 * which ASL requires to be unique across the whole machine), with its enclosing state. */
function allStates(states: Record<string, AslState>, parent?: string): Array<[string, AslState, string | undefined]> {
  return Object.entries(states).flatMap(([name, state]) => [
    [name, state, parent] as [string, AslState, string | undefined],
    ...children(state).flatMap((nested) => allStates(nested, name)),
  ]);
}

/** The definition as the library should run it (see the header), and what we changed. */
function prepareDefinition(definition: Record<string, unknown>) {
  const prepared = structuredClone(definition) as { States: Record<string, AslState> };
  const tasks = new Map<string, TaskInfo>();
  for (const [name, state] of allStates(prepared.States)) {
    if (state.Type !== "Task") continue;
    const info: TaskInfo = { state, wrapped: false };
    if (state.TimeoutSecondsPath) {
      if (!state.Parameters) {
        state.Parameters = { [`${INPUT_KEY}.$`]: "$" };
        info.wrapped = true;
      }
      state.Parameters[`${TIMEOUT_KEY}.$`] = state.TimeoutSecondsPath;
      state.TimeoutSecondsPath = `$.${TIMEOUT_KEY}`;
    } else {
      state.TimeoutSeconds ??= DEFAULT_TASK_TIMEOUT_SECONDS;
      info.timeoutSeconds = state.TimeoutSeconds;
    }
    tasks.set(name, info);
  }
  return { prepared, tasks };
}

function functionFor(workflow: LocalWorkflow, stateName: string, reference: string | undefined): TaskFunction {
  const key = reference?.match(placeholder)?.[1];
  const fn = key ? workflow.functions[key] : undefined;
  if (!fn) throw new Error(`${workflow.name}.${stateName}: no local function for ${reference}`);
  return fn;
}

/** The first string in `value` (deeply) that looks like a token of this execution. */
function findToken(value: Json, prefix: string): string | undefined {
  if (typeof value === "string") return value.startsWith(prefix) ? value : undefined;
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) {
      const found = findToken(v, prefix);
      if (found) return found;
    }
  }
  return undefined;
}

const tokenShape = /^(arn:aws:states:[^:]+:\d{12}:execution:[^:]+:[^#]+)#[0-9a-f-]{36}$/;

export function createLocalStepFunctions(options: {
  workflows: LocalWorkflow[];
  /** Milliseconds per Wait state name (tests accelerate waits here). */
  waitTimeOverrides?: Record<string, number>;
  /** Milliseconds before each retry, per state name (default: the definition's intervals). */
  retryIntervalOverrides?: Record<string, number>;
}) {
  interface PendingToken {
    executionArn: string;
    stateName: string;
    /** When the library times the state out (epoch ms). */
    deadline: number;
    resolve: (v: Json) => void;
    reject: (e: Error) => void;
  }
  interface Machine {
    machine: StateMachine;
    workflow: LocalWorkflow;
    stateMachineArn: string;
    stateMachineName: string;
    tasks: Map<string, TaskInfo>;
    tokenStates: Set<string>;
    states: Map<string, AslState>;
    /** State name → the Map/Parallel state it runs in. */
    parentOf: Map<string, string | undefined>;
  }
  interface Execution extends ExecutionRecord {
    abort: () => void;
    inputText: string;
    /** Entered and not yet left, with the Map iteration index. */
    current: Array<{ name: string; index?: number }>;
  }

  const pendingTokens = new Map<string, PendingToken>();
  const executions = new Map<string, Execution>();
  const machines = new Map<string, Machine>();
  const byArn = new Map<string, Machine>();

  for (const workflow of options.workflows) {
    const { prepared, tasks } = prepareDefinition(workflow.definition);
    const machine = new StateMachine(prepared as never);
    const states = allStates(prepared.States);
    const tokenStates = new Set(states.filter(([, s]) => s.Type === "Task" && s.Resource === WAIT_FOR_TOKEN).map(([n]) => n));
    const stateMachineName = workflow.stateMachineName ?? workflow.name;
    const stateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${stateMachineName}`;
    const entry: Machine = {
      machine,
      workflow,
      stateMachineArn,
      stateMachineName,
      tasks,
      tokenStates,
      states: new Map(states.map(([n, s]) => [n, s])),
      parentOf: new Map(states.map(([n, , p]) => [n, p])),
    };
    // Check every Task has its function now, not when an execution first reaches it.
    for (const [stateName, info] of tasks) {
      const ref = info.state.Resource === WAIT_FOR_TOKEN || info.state.Resource === LAMBDA_INVOKE ? info.state.Parameters?.FunctionName : info.state.Resource;
      functionFor(workflow, stateName, ref);
    }
    machines.set(workflow.name, entry);
    byArn.set(stateMachineArn, entry);
  }

  function isWithin(m: Machine, stateName: string, ancestor: string): boolean {
    for (let p = m.parentOf.get(stateName); p; p = m.parentOf.get(p)) if (p === ancestor) return true;
    return false;
  }

  /** The processed input without our hidden keys, and the timeout the library applies. */
  function unwrap(info: TaskInfo, input: Json): { input: Json; timeoutSeconds: number } {
    if (info.timeoutSeconds !== undefined) return { input, timeoutSeconds: info.timeoutSeconds };
    const { [TIMEOUT_KEY]: timeout, ...rest } = input as Record<string, unknown>;
    return { input: info.wrapped ? rest[INPUT_KEY] : rest, timeoutSeconds: Number(timeout) };
  }

  function overridesFor(m: Machine, executionArn: string): Overrides {
    const { workflow } = m;
    const handlers: Record<string, (input: never) => Promise<Json>> = {};
    for (const [stateName, info] of m.tasks) {
      const { state } = info;
      if (m.tokenStates.has(stateName)) {
        const fn = functionFor(workflow, stateName, state.Parameters?.FunctionName);
        handlers[stateName] = (async (rawInput: Json) => {
          const { input, timeoutSeconds } = unwrap(info, rawInput);
          const payload = (input as { Payload?: Json }).Payload;
          const token = findToken(payload, `${executionArn}#`);
          if (!token) throw new Error(`${workflow.name}.${stateName}: the Payload must carry "$$.Task.Token"`);
          const settled = new Promise<Json>((resolve, reject) =>
            pendingTokens.set(token, { executionArn, stateName, deadline: Date.now() + timeoutSeconds * 1000, resolve, reject }),
          );
          settled.catch(() => {}); // rejected while the function still runs: the throw below wins
          try {
            await fn(payload);
          } catch (error) {
            pendingTokens.delete(token);
            throw error;
          }
          return settled;
        }) as never;
      } else if (state.Resource === LAMBDA_INVOKE) {
        const fn = functionFor(workflow, stateName, state.Parameters?.FunctionName);
        handlers[stateName] = (async (rawInput: Json) => {
          const payload = (unwrap(info, rawInput).input as { Payload?: Json }).Payload ?? {};
          return { ExecutedVersion: "$LATEST", Payload: await fn(payload), StatusCode: 200 };
        }) as never;
      } else {
        const fn = functionFor(workflow, stateName, state.Resource);
        handlers[stateName] = ((rawInput: Json) => fn(unwrap(info, rawInput).input)) as never;
      }
    }
    return {
      taskResourceLocalHandlers: handlers as never,
      waitTimeOverrides: options.waitTimeOverrides,
      retryIntervalOverrides: options.retryIntervalOverrides,
    };
  }

  /** Forgets tokens, so SendTask* on them fails like AWS; the waiting task (if any) ends. */
  function forget(match: (p: PendingToken) => boolean, reason?: Error) {
    for (const [token, p] of pendingTokens) {
      if (!match(p)) continue;
      pendingTokens.delete(token);
      if (reason) p.reject(reason);
    }
  }

  type LibraryEvent = {
    type: string;
    timestamp: number;
    state?: { name: string };
    parentState?: { name: string };
    index?: number;
    Error?: string;
    Cause?: unknown;
  };

  /** Ends the waiting task of a branch that was aborted (its run is over; this frees its timer). */
  const branchAborted = () => Object.assign(new Error("branch aborted"), { name: "States.Aborted" });

  async function record(execution: Execution, m: Machine, logs: AsyncGenerator<LibraryEvent>) {
    const { executionArn } = execution;
    const leave = (name: string, index: number | undefined) => {
      const i = execution.current.findIndex((c) => c.name === name && c.index === index);
      if (i >= 0) execution.current.splice(i, 1);
      else {
        const any = execution.current.findIndex((c) => c.name === name);
        if (any >= 0) execution.current.splice(any, 1);
      }
      // A Map or Parallel that is left takes its unfinished branches with it.
      execution.current = execution.current.filter((c) => !isWithin(m, c.name, name));
      forget((p) => p.executionArn === executionArn && isWithin(m, p.stateName, name), branchAborted());
    };
    for await (const event of logs) {
      const name = event.state?.name;
      const cause = event.Cause === undefined ? undefined : typeof event.Cause === "string" ? event.Cause : (event.Cause as Error)?.message ?? JSON.stringify(event.Cause);
      execution.history.push({
        at: new Date(event.timestamp).toISOString(),
        type: event.type,
        ...(name ?? event.parentState?.name ? { state: name ?? event.parentState?.name } : {}),
        ...(event.index !== undefined ? { index: event.index } : {}),
        ...(event.Error !== undefined ? { error: event.Error, cause } : {}),
      });
      if (!name) continue;
      if (event.type === "StateEntered") {
        // Events of branches arrive through their own queues, possibly after the branch's
        // Map/Parallel has already been left: such a state is not current any more.
        const parent = m.parentOf.get(name);
        if (!parent || execution.current.some((c) => c.name === parent)) execution.current.push({ name, index: event.index });
      } else if (event.type === "StateExited") {
        leave(name, event.index);
      } else if (event.type === "StateFailed") {
        // A token whose deadline has come belongs to the attempt that just timed out; a newer one
        // (a retry: ≥ 1 s ahead; another Map iteration) stays valid. Tokens answered or whose
        // function threw are gone already. (Slack: timers run on a monotonic clock, Date on the
        // wall clock.)
        const soon = Date.now() + 500;
        forget((p) => p.executionArn === executionArn && p.stateName === name && p.deadline <= soon);
        // A failed Map or Parallel has aborted its branches.
        const state = m.states.get(name);
        if (state && children(state).length > 0) {
          forget((p) => p.executionArn === executionArn && isWithin(m, p.stateName, name), branchAborted());
          execution.current = execution.current.filter((c) => !isWithin(m, c.name, name));
        }
      }
    }
  }

  function view(e: Execution): ExecutionRecord {
    const { abort: _abort, inputText: _inputText, current, ...rest } = e;
    return { ...structuredClone(rest), currentStates: current.map((c) => c.name) };
  }

  function finish(e: Execution, patch: Partial<ExecutionRecord>) {
    if (e.status !== "RUNNING") return;
    Object.assign(e, patch, { stopDate: new Date().toISOString() });
    e.current = [];
    forget((p) => p.executionArn === e.executionArn, Object.assign(new Error("execution ended"), { name: "States.Aborted" }));
  }

  function pendingFor(token: string): PendingToken {
    if (typeof token !== "string" || !tokenShape.test(token)) throw new TaskTokenError("InvalidToken", "Invalid Token");
    const pending = pendingTokens.get(token);
    if (!pending) throw new TaskTokenError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
    return pending;
  }

  return {
    /** The state machines, as AWS would name them. */
    stateMachines(): Array<{ workflow: string; stateMachineArn: string; stateMachineName: string }> {
      return [...machines.values()].map((m) => ({ workflow: m.workflow.name, stateMachineArn: m.stateMachineArn, stateMachineName: m.stateMachineName }));
    },
    workflowOfStateMachine(stateMachineArn: string): string | undefined {
      return byArn.get(stateMachineArn)?.workflow.name;
    },
    /**
     * StartExecution: returns at once; the run goes on in this process. Like a Standard
     * workflow, a second start with the same name and input while the first runs returns the
     * first; a different input, or a closed execution, is `ExecutionAlreadyExists`.
     */
    startExecution(workflowName: string, input: Json, name: string = randomUUID()): { executionArn: string; startDate: string } {
      const m = machines.get(workflowName);
      if (!m) throw new StepFunctionsError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${workflowName}'`);
      if (typeof name !== "string" || name.length < 1 || name.length > 80 || invalidName.test(name)) {
        throw new StepFunctionsError("InvalidName", `Invalid Name: '${name}'`);
      }
      const executionArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${m.stateMachineName}:${name}`;
      const inputText = JSON.stringify(input ?? {});
      const existing = executions.get(executionArn);
      if (existing) {
        if (existing.status === "RUNNING" && existing.inputText === inputText) {
          return { executionArn, startDate: existing.startDate };
        }
        throw new StepFunctionsError("ExecutionAlreadyExists", `Execution Already Exists: '${executionArn}'`);
      }
      const value = JSON.parse(inputText) as Json;
      const run = m.machine.run(value as never, {
        overrides: overridesFor(m, executionArn),
        context: {
          Execution: { Id: executionArn, Name: name, RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/local` },
          StateMachine: { Id: m.stateMachineArn, Name: m.stateMachineName },
          Task: {
            get Token() {
              return `${executionArn}#${randomUUID()}`;
            },
          },
        } as never,
        noThrowOnAbort: true,
      });
      const startDate = new Date().toISOString();
      const execution: Execution = {
        executionArn,
        stateMachineArn: m.stateMachineArn,
        name,
        workflow: workflowName,
        status: "RUNNING",
        startDate,
        input: value,
        inputText,
        current: [],
        currentStates: [],
        history: [],
        abort: run.abort,
      };
      executions.set(executionArn, execution);
      record(execution, m, run.eventLogs as never).catch((error) => console.error(`[local-sfn] history of ${executionArn}:`, error));
      run.result.then(
        (output) => finish(execution, { status: "SUCCEEDED", output }),
        (error: Error & { cause?: Error }) => {
          if (error instanceof ExecutionTimeoutError) {
            return finish(execution, { status: "TIMED_OUT", error: "States.Timeout", cause: "The execution timed out" });
          }
          const inner = error.cause ?? error;
          finish(execution, { status: "FAILED", error: inner.name, cause: inner.message });
        },
      );
      return { executionArn, startDate };
    },
    sendTaskSuccess(token: string, output: Json) {
      const pending = pendingFor(token);
      pendingTokens.delete(token);
      pending.resolve(structuredClone(output));
    },
    sendTaskFailure(token: string, error = "", cause = "") {
      const pending = pendingFor(token);
      pendingTokens.delete(token);
      pending.reject(Object.assign(new Error(cause), { name: error }));
    },
    /** SendTaskHeartbeat: heartbeats are not timed locally; only says whether the task waits. */
    sendTaskHeartbeat(token: string) {
      pendingFor(token);
    },
    /** StopExecution: the execution ends ABORTED. */
    stopExecution(executionArn: string, error?: string, cause?: string): { stopDate: string } {
      const e = executions.get(executionArn);
      if (!e) throw new StepFunctionsError("ExecutionDoesNotExist", `Execution Does Not Exist: '${executionArn}'`);
      if (e.status === "RUNNING") {
        finish(e, { status: "ABORTED", ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) });
        e.abort();
      }
      return { stopDate: e.stopDate! };
    },
    describeExecution(executionArn: string): ExecutionRecord | undefined {
      const e = executions.get(executionArn);
      return e ? view(e) : undefined;
    },
    /** Executions in start order, optionally of one workflow and/or status. */
    listExecutions(filter: { workflow?: string; status?: ExecutionStatus } = {}): ExecutionRecord[] {
      return [...executions.values()]
        .filter((e) => (!filter.workflow || e.workflow === filter.workflow) && (!filter.status || e.status === filter.status))
        .map(view);
    },
    /** Aborts every running execution and forgets their tokens (runtime shutdown). */
    stopAll() {
      for (const e of executions.values()) {
        if (e.status === "RUNNING") {
          finish(e, { status: "ABORTED" });
          e.abort();
        }
      }
      forget(() => true, Object.assign(new Error("execution aborted"), { name: "States.Aborted" }));
    },
  };
}

export type LocalStepFunctions = ReturnType<typeof createLocalStepFunctions>;
