import {
  SFNClient,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { workflows, type WorkflowName } from "../workflows/index";

let client: SFNClient | undefined;

/** One Step Functions client per container. `CAREBOOK_SFN_ENDPOINT` is set by the local
 * runtime only (its in-process Step Functions speaks the same JSON protocol). */
export function sfn(): SFNClient {
  if (!client) {
    const endpoint = process.env.CAREBOOK_SFN_ENDPOINT;
    client = new SFNClient(
      endpoint
        ? { endpoint, region: "local", credentials: { accessKeyId: "local", secretAccessKey: "local" } }
        : {},
    );
  }
  return client;
}

export function workflowArn(name: WorkflowName): string {
  const variable = workflows[name].arnEnv;
  const arn = process.env[variable];
  if (!arn) throw new Error(`${variable} is not set`);
  return arn;
}

/**
 * Starts a workflow execution. `executionName` makes the start idempotent: Standard workflows
 * refuse a second execution of the same name (and input), so a retried request cannot start two.
 */
export async function startWorkflow(name: WorkflowName, executionName: string, input: Record<string, unknown>) {
  try {
    return await sfn().send(
      new StartExecutionCommand({ stateMachineArn: workflowArn(name), name: executionName, input: JSON.stringify(input) }),
    );
  } catch (error) {
    if ((error as Error).name === "ExecutionAlreadyExists") return undefined;
    throw error;
  }
}

export async function sendTaskSuccess(taskToken: string, output: Record<string, unknown>) {
  await sfn().send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
}

/**
 * Resumes a waiting execution with what a person sent. The token is the arbiter between that
 * person, a deadline and anyone else: if it is already spent, nothing was recorded and the
 * caller gets `gone` (a 409) to report.
 */
export async function resumeWith(taskToken: string, output: Record<string, unknown>, gone: () => Error) {
  try {
    await sendTaskSuccess(taskToken, output);
  } catch (error) {
    throw isTaskGone(error) ? gone() : error;
  }
}

export async function sendTaskFailure(taskToken: string, error: string, cause: string) {
  await sfn().send(new SendTaskFailureCommand({ taskToken, error, cause }));
}

/** The token's task is over (timed out, or its execution ended): AWS's TaskTimedOut / TaskDoesNotExist. */
export function isTaskGone(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === "TaskTimedOut" || name === "TaskDoesNotExist" || name === "InvalidToken";
}

/** Starts the reminders of one appointment version (idempotent by execution name). */
export async function startReminders(appointmentId: string, version: number) {
  await startWorkflow("reminders", `${appointmentId}-v${version}`, { appointmentId, version });
}

/** Starts the pre-screening of a fresh hold; the execution is named after the appointment. */
export async function startPrescreening(appointmentId: string) {
  await startWorkflow("prescreening", appointmentId, { appointmentId });
}
