/** Scheduled (EventBridge in AWS, a timer locally): sends the messages that have come due —
 * held back by quiet hours, waiting for a retry, or left mid-send by a dispatcher that died. */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { dispatchDue } from "@carebook/core/notifications/messages";
import { channelAdapters } from "../lib/channels/index";
import { dynamo, env } from "../lib/env";
import { logger } from "../lib/logger";
import { deliveryRecorder } from "../lib/notifications";

export const handler = middy(async () => {
  const { db } = dynamo();
  const sent = await dispatchDue(db, env("CAREBOOK_REGION_ID"), { senders: channelAdapters(), now: Date.now, onOutcome: deliveryRecorder(db) });
  if (sent > 0) logger.info("dispatched due notifications", { sent });
  return { sent };
}).use(injectLambdaContext(logger));
