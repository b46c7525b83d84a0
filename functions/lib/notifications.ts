import type { Db } from "@carebook/core/entities/index";
import { recordDelivery } from "@carebook/core/metrics/aggregates";
import type { OutcomeListener } from "@carebook/core/notifications/messages";
import { localDateOf } from "@carebook/core/schedule/slots";

/** Counts each message's final outcome in the metrics, on the local day of its appointment. */
export function deliveryRecorder(db: Db): OutcomeListener {
  return async ({ messageId, clinicId, start, timeZone, channel, outcome }) => {
    // Per message and channel: an e-mail that bounced after its send counted as delivered, and the
    // SMS it fell back to, are two outcomes.
    await recordDelivery(db, { clinicId, day: localDateOf(Date.parse(start), timeZone), channel, outcome, messageId: `${messageId}#${channel}` });
  };
}
