/**
 * The workflow table: the one list of state machines, like functions/routes.ts for routes.
 *
 * Each workflow is one plain-ASL (JSONPath) definition file in this folder. Its Task states
 * name Lambdas by `${Placeholder}`; `functions` says which handler module each placeholder
 * stands for. The Workflows stack deploys a Lambda per placeholder and passes their ARNs as
 * `definitionSubstitutions`; the local runtime loads the very same JSON and runs those handler
 * modules in-process (packages/local/src/stepfunctions). Pure data — no handler code here.
 */
import type { TableAccess } from "../routes";
import prescreeningDefinition from "./prescreening.asl.json";
import remindersDefinition from "./reminders.asl.json";

export type WorkflowName = "prescreening" | "reminders";

export interface WorkflowFunction {
  /** `path/to/module.exportName`, relative to the project root, as SST expects. */
  handler: string;
  table: TableAccess;
  /** Workflows this function starts (states:StartExecution on exactly those). */
  starts?: readonly WorkflowName[];
  description: string;
}

export interface WorkflowDefinition {
  description: string;
  /** The ASL document, with `${Placeholder}` for each Lambda ARN. */
  definition: Record<string, unknown>;
  functions: Record<string, WorkflowFunction>;
  /** Environment variable through which functions learn this state machine's ARN. */
  arnEnv: string;
}

export const workflows = {
  prescreening: {
    description: "Hold → questionnaire → nurse decision → booked or released",
    definition: prescreeningDefinition,
    arnEnv: "CAREBOOK_PRESCREENING_WORKFLOW_ARN",
    functions: {
      PrescreeningFunction: {
        handler: "functions/workflows/prescreening.handler",
        table: "write",
        starts: ["reminders"],
        description: "Steps of the pre-screening workflow (hold, task tokens, escalation, confirm, release)",
      },
    },
  },
  reminders: {
    description: "Reminders at T-24 h and T-2 h of a booked appointment version",
    definition: remindersDefinition,
    arnEnv: "CAREBOOK_REMINDERS_WORKFLOW_ARN",
    functions: {
      RemindersFunction: {
        handler: "functions/workflows/reminders.handler",
        table: "write",
        description: "Plans an appointment's reminders and records each due one",
      },
    },
  },
} as const satisfies Record<WorkflowName, WorkflowDefinition>;

/** The scheduled sweeper that releases holds whose workflow never started or died. */
export const sweeper = {
  handler: "functions/workflows/sweeper.handler",
  table: "write",
  /** EventBridge schedule in AWS; the local runtime runs it on a timer of the same period. */
  schedule: "rate(5 minutes)",
  periodMs: 5 * 60_000,
  description: "Releases expired appointment holds",
} as const;

export function workflowEntries(): Array<[WorkflowName, WorkflowDefinition]> {
  return Object.entries(workflows) as Array<[WorkflowName, WorkflowDefinition]>;
}

/** Placeholders `${X}` used in a definition, in order of first use. */
export function placeholdersOf(definition: unknown): string[] {
  const found = new Set<string>();
  JSON.stringify(definition).replace(/\$\{(\w+)\}/g, (_, name: string) => {
    found.add(name);
    return "";
  });
  return [...found];
}

/** The definition with each `${X}` replaced by `values[X]` (what CloudFormation does with
 * DefinitionSubstitutions). Unknown placeholders are an error. */
export function substitute(definition: unknown, values: Record<string, string>): Record<string, unknown> {
  const text = JSON.stringify(definition).replace(/\$\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no substitution for \${${name}}`);
    return value;
  });
  return JSON.parse(text);
}
