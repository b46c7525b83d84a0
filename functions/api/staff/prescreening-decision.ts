import { staffPrescreeningView } from "@carebook/core/api";
import { decidePrescreening, prescreeningConfigFor } from "@carebook/core/appointment/hold";
import { ConflictError } from "@carebook/core/errors";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";
import { isTaskGone, sendTaskSuccess } from "../../lib/workflows";

export const handler = httpHandler(
  "POST /api/staff/prescreening/{appointmentId}/decision",
  async ({ path, body, caller, now }) => {
    const { db } = dynamo();
    const { appointment, taskToken } = await decidePrescreening(db, {
      appointmentId: path.appointmentId,
      decision: body.decision,
      note: body.note,
      actor: { id: caller.sub, role: caller.role },
      now,
    });
    try {
      await sendTaskSuccess(taskToken, { decision: body.decision });
    } catch (error) {
      // The decision wait timed out in the same moment: the workflow is releasing the hold.
      if (isTaskGone(error)) throw new ConflictError("PRESCREENING_CLOSED", "The time to decide has passed; the hold is being released");
      throw error;
    }
    const { questionnaire } = await prescreeningConfigFor(db, appointment.typeId);
    return json(200, staffPrescreeningView(appointment, appointment.prescreening, questionnaire, now));
  },
  { idempotent: true },
);
