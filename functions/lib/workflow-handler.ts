import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import type { z } from "zod";
import { logger } from "./logger";

/** Input that does not fit the step's schema: a definition bug, never retried. */
export class InvalidStepInput extends Error {
  override name = "Carebook.InvalidInput";
}

/**
 * A Lambda that a state machine's Task invokes: input validated with zod, structured logs.
 * Errors keep their `name` — that is the `Error` the state machine's Retry/Catch matches
 * (e.g. "Carebook.HoldGone"), in AWS and in the local runtime alike.
 */
export function workflowHandler<S extends z.ZodType, R>(schema: S, fn: (input: z.infer<S>, context: Context) => Promise<R>) {
  return middy(async (event: unknown, context: Context) => {
    const parsed = schema.safeParse(event);
    if (!parsed.success) {
      throw new InvalidStepInput(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    }
    try {
      return await fn(parsed.data, context);
    } catch (error) {
      const e = error as Error;
      if (e.name?.startsWith("Carebook.")) logger.info("step ended", { error: e.name, message: e.message });
      else logger.error("step failed", e);
      throw error;
    }
  }).use(injectLambdaContext(logger));
}
