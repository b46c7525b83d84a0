/** Scheduled (EventBridge in AWS, a timer locally): releases holds that lapsed — those whose
 * workflow never started (a crash between the booking and StartExecution) or died. */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { sweepExpiredHolds } from "@carebook/core/appointment/hold";
import { dynamo, env } from "../lib/env";
import { logger } from "../lib/logger";

export const handler = middy(async () => {
  const result = await sweepExpiredHolds(dynamo().db, { regionId: env("CAREBOOK_REGION_ID"), now: Date.now() });
  if (result.released > 0) logger.info("released lapsed holds", result);
  return result;
}).use(injectLambdaContext(logger));
