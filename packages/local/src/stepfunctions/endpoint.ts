/**
 * The local Step Functions as an AWS service endpoint: the AWS JSON 1.0 protocol that
 * @aws-sdk/client-sfn speaks (POST, `x-amz-target: AWSStepFunctions.<Operation>`, JSON body),
 * so handlers use `new SFNClient({ endpoint: "<runtime>/local/sfn" })` exactly as in AWS.
 * The SDK keeps the endpoint's path and adds "/": requests arrive at `POST /local/sfn/`.
 *
 * Operations: StartExecution, SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat,
 * DescribeExecution, ListExecutions, StopExecution. Errors are HTTP 400 with
 * `{"__type": "<Code>", "message": …}` (and `x-amzn-errortype`), which the SDK turns into an
 * exception whose `name` is the code: ExecutionAlreadyExists, StateMachineDoesNotExist,
 * ExecutionDoesNotExist, TaskTimedOut, InvalidToken, InvalidName, InvalidArn,
 * InvalidExecutionInput, InvalidOutput, ValidationException, UnknownOperationException.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { StepFunctionsError, type ExecutionRecord, type ExecutionStatus, type LocalStepFunctions } from "./engine";

/** Step Functions' limit for input, output and task results (UTF-8 bytes). */
const MAX_PAYLOAD_BYTES = 256 * 1024;
const MAX_REQUEST_BYTES = 1024 * 1024;
const STATUSES = new Set<ExecutionStatus>(["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]);

type Body = Record<string, unknown>;

function fail(code: string, message: string): never {
  throw new StepFunctionsError(code, message);
}

const epochSeconds = (iso: string) => Date.parse(iso) / 1000;

function requireString(body: Body, field: string, code = "ValidationException"): string {
  const value = body[field];
  if (typeof value !== "string" || value === "") fail(code, `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null`);
  return value;
}

function parseJsonField(text: unknown, field: string, code: string): unknown {
  if (text === undefined || text === null) return field === "input" ? {} : null;
  if (typeof text !== "string") fail(code, `Invalid ${field}: not a string`);
  if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) fail(code, `Invalid ${field}: larger than ${MAX_PAYLOAD_BYTES} bytes`);
  try {
    return JSON.parse(text);
  } catch (error) {
    fail(code, `Invalid ${field}: ${(error as Error).message}`);
  }
}

/** What ListExecutions says of an execution (DescribeExecution says more). */
function summary(e: ExecutionRecord) {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: epochSeconds(e.startDate),
    ...(e.stopDate ? { stopDate: epochSeconds(e.stopDate) } : {}),
  };
}

function describe(e: ExecutionRecord) {
  return {
    ...summary(e),
    input: JSON.stringify(e.input),
    inputDetails: { included: true },
    ...(e.status === "SUCCEEDED" ? { output: JSON.stringify(e.output ?? null), outputDetails: { included: true } } : {}),
    ...(e.error !== undefined ? { error: e.error } : {}),
    ...(e.cause !== undefined ? { cause: e.cause } : {}),
  };
}

export function stepFunctionsOperations(engine: LocalStepFunctions): Record<string, (body: Body) => unknown> {
  const workflowOf = (stateMachineArn: string) => {
    if (!stateMachineArn.startsWith("arn:aws:states:")) fail("InvalidArn", `Invalid Arn: '${stateMachineArn}'`);
    return engine.workflowOfStateMachine(stateMachineArn) ?? fail("StateMachineDoesNotExist", `State Machine Does Not Exist: '${stateMachineArn}'`);
  };
  const executionOf = (executionArn: string) =>
    engine.describeExecution(executionArn) ?? fail("ExecutionDoesNotExist", `Execution Does Not Exist: '${executionArn}'`);

  return {
    StartExecution(body) {
      const workflow = workflowOf(requireString(body, "stateMachineArn"));
      const input = parseJsonField(body.input, "input", "InvalidExecutionInput");
      const name = body.name === undefined ? undefined : String(body.name);
      const { executionArn, startDate } = engine.startExecution(workflow, input, name);
      return { executionArn, startDate: epochSeconds(startDate) };
    },
    SendTaskSuccess(body) {
      const token = requireString(body, "taskToken");
      const output = parseJsonField(requireString(body, "output"), "output", "InvalidOutput");
      engine.sendTaskSuccess(token, output);
      return {};
    },
    SendTaskFailure(body) {
      const token = requireString(body, "taskToken");
      engine.sendTaskFailure(token, typeof body.error === "string" ? body.error : "", typeof body.cause === "string" ? body.cause : "");
      return {};
    },
    SendTaskHeartbeat(body) {
      engine.sendTaskHeartbeat(requireString(body, "taskToken"));
      return {};
    },
    DescribeExecution(body) {
      return describe(executionOf(requireString(body, "executionArn")));
    },
    StopExecution(body) {
      const executionArn = requireString(body, "executionArn");
      executionOf(executionArn);
      const { stopDate } = engine.stopExecution(
        executionArn,
        typeof body.error === "string" ? body.error : undefined,
        typeof body.cause === "string" ? body.cause : undefined,
      );
      return { stopDate: epochSeconds(stopDate) };
    },
    ListExecutions(body) {
      const workflow = workflowOf(requireString(body, "stateMachineArn"));
      const status = body.statusFilter as ExecutionStatus | undefined;
      if (status !== undefined && !STATUSES.has(status)) fail("ValidationException", `Invalid statusFilter: '${String(status)}'`);
      const maxResults = Number(body.maxResults) || 100;
      if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 1000) fail("ValidationException", "maxResults must be 0-1000");
      const offset = typeof body.nextToken === "string" ? Number(Buffer.from(body.nextToken, "base64url").toString()) : 0;
      if (!Number.isInteger(offset) || offset < 0) fail("InvalidToken", "Invalid nextToken");
      // Newest first, as AWS lists them.
      const all = engine.listExecutions({ workflow, status }).reverse();
      const page = all.slice(offset, offset + maxResults);
      return {
        executions: page.map(summary),
        ...(offset + maxResults < all.length ? { nextToken: Buffer.from(String(offset + maxResults)).toString("base64url") } : {}),
      };
    },
  };
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.0",
    "content-length": String(Buffer.byteLength(text)),
    "x-amzn-requestid": randomUUID(),
    ...headers,
  });
  res.end(text);
}

function replyError(res: ServerResponse, status: number, code: string, message: string) {
  reply(res, status, { __type: code, message }, { "x-amzn-errortype": code });
}

/** Injected failures (tests): operation → how many of its next calls fail with a 500. */
export type FaultPlan = Map<string, number>;

/** The HTTP side: one handler for `POST /local/sfn` (and `/local/sfn/`). */
export function stepFunctionsEndpoint(engine: LocalStepFunctions, faults: FaultPlan = new Map()) {
  const operations = stepFunctionsOperations(engine);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = String(req.headers["x-amz-target"] ?? "");
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk as Buffer);
    }
    if (size > MAX_REQUEST_BYTES) return replyError(res, 413, "RequestEntityTooLargeException", "Request too large");
    const operation = target.startsWith("AWSStepFunctions.") ? operations[target.slice("AWSStepFunctions.".length)] : undefined;
    if (!operation) return replyError(res, 400, "UnknownOperationException", `Operation not supported locally: '${target}'`);
    const op = target.slice("AWSStepFunctions.".length);
    const failures = faults.get(op) ?? 0;
    if (failures > 0) {
      faults.set(op, failures - 1);
      return replyError(res, 500, "ServiceUnavailable", `injected failure of ${op} (POST /local/faults)`);
    }
    let body: Body;
    try {
      const text = Buffer.concat(chunks).toString("utf8");
      body = text ? (JSON.parse(text) as Body) : {};
      if (!body || typeof body !== "object" || Array.isArray(body)) throw new Error("not an object");
    } catch {
      return replyError(res, 400, "SerializationException", "Request body is not a JSON object");
    }
    try {
      reply(res, 200, operation(body));
    } catch (error) {
      if (error instanceof StepFunctionsError) return replyError(res, 400, error.name, error.message);
      console.error(`[local-sfn] ${target} failed:`, error);
      replyError(res, 500, "InternalFailure", (error as Error).message);
    }
  };
}

/**
 * `GET /local/executions` (local only): every execution with its status, current states,
 * input, output or error, and history. Filters: `?workflow=<name>`, `?status=RUNNING`,
 * `?name=<execution name>`.
 */
export function executionsEndpoint(engine: LocalStepFunctions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    req.resume();
    const query = new URL(req.url ?? "/", "http://local").searchParams;
    const status = query.get("status")?.toUpperCase() as ExecutionStatus | undefined;
    const workflow = query.get("workflow") ?? undefined;
    const name = query.get("name") ?? undefined;
    const text = JSON.stringify({
      executions: engine.listExecutions({ workflow, status }).filter((e) => !name || e.name === name),
    });
    res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
    res.end(text);
  };
}

/**
 * `POST /local/faults` (local only), one plan per service: `{ "stepFunctions":
 * { "StartExecution": 10 } }` makes the next 10 StartExecution calls answer 500, as an
 * unavailable service would (the SDK retries 500s, so count its retries too); `{ "events":
 * { "PutEvents": 3 } }` likewise for the local bus. A service given `{}` has its faults cleared;
 * services not named are left as they are.
 */
export function faultsEndpoint(plans: Record<string, FaultPlan>) {
  const usage = `expected {${Object.keys(plans).map((k) => `"${k}"`).join(" | ")}: {"<Operation>": <count>}}`;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      body = undefined;
    }
    const services = body && typeof body === "object" && !Array.isArray(body) ? Object.entries(body) : [];
    const valid =
      services.length > 0 &&
      services.every(
        ([service, plan]) =>
          service in plans &&
          plan !== null &&
          typeof plan === "object" &&
          Object.values(plan as object).every((n) => Number.isInteger(n) && (n as number) >= 0),
      );
    if (!valid) {
      const text = JSON.stringify({ error: { code: "VALIDATION_FAILED", message: usage } });
      res.writeHead(400, { "content-type": "application/json" });
      return void res.end(text);
    }
    for (const [service, plan] of services) {
      const faults = plans[service]!;
      faults.clear();
      for (const [op, n] of Object.entries(plan as Record<string, number>)) faults.set(op, n);
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(Object.fromEntries(Object.entries(plans).map(([k, f]) => [k, Object.fromEntries(f)]))));
  };
}

/** The local routes of a runtime's Step Functions (for createApiServer's extraRoutes). */
export function stepFunctionsRoutes(engine: LocalStepFunctions, faults: FaultPlan = new Map()) {
  const sfn = stepFunctionsEndpoint(engine, faults);
  return {
    "POST /local/sfn": sfn,
    "POST /local/sfn/": sfn,
    "GET /local/executions": executionsEndpoint(engine),
  };
}
