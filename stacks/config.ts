import type { FunctionProps } from "sst/constructs";

/**
 * Per-stage settings of the stacks. One stage deploys one Carebook region (its data lives
 * in the AWS region the stage is deployed to).
 */
export interface StageConfig {
  /** The Carebook data region id, handed to every handler as `CAREBOOK_REGION_ID`. */
  regionId: string;
  /**
   * A throwaway stage — a developer's `dev*` stage or the `test` stage the stack tests
   * synthesize — whose data may be destroyed with the stack. Every other stage keeps its data.
   */
  ephemeral: boolean;
  /** The verified SES identity notifications are sent from (`CAREBOOK_EMAIL_FROM`). */
  emailFrom: string;
}

export function stageConfig(stage: string): StageConfig {
  return {
    // Read at synth time; `sst` also loads `.env.<stage>` into process.env before that,
    // so a stage can pin its region id there until the stage → region mapping lands.
    regionId: process.env.CAREBOOK_REGION_ID || "eu-west",
    ephemeral: stage === "test" || stage.startsWith("dev"),
    emailFrom: process.env.CAREBOOK_EMAIL_FROM || "Carebook <no-reply@carebook.example>",
  };
}

/**
 * Settings every Carebook Lambda shares, HTTP routes and workflow steps alike. Stated even
 * where they are SST 2.49.8's defaults (nodejs22.x, active tracing), so an SST upgrade cannot
 * change them.
 */
export const functionDefaults = {
  runtime: "nodejs22.x",
  architecture: "arm_64",
  memorySize: 512,
  timeout: 10,
  // X-Ray: a request's trace continues through the Step Functions executions it starts.
  tracing: "active",
  environment: { POWERTOOLS_SERVICE_NAME: "carebook" },
} as const satisfies FunctionProps;
