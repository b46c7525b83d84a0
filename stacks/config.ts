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
}

export function stageConfig(stage: string): StageConfig {
  return {
    // Read at synth time; `sst` also loads `.env.<stage>` into process.env before that,
    // so a stage can pin its region id there until the stage → region mapping lands.
    regionId: process.env.CAREBOOK_REGION_ID || "eu-west",
    ephemeral: stage === "test" || stage.startsWith("dev"),
  };
}
