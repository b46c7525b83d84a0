import { prescreeningView } from "@carebook/core/api";
import { prescreeningConfigFor, submitAnswers } from "@carebook/core/appointment/hold";
import { ConflictError } from "@carebook/core/errors";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";
import { isTaskGone, sendTaskSuccess } from "../../lib/workflows";

export const handler = httpHandler(
  "POST /api/appointments/{id}/prescreening",
  async ({ path, body, caller, now }) => {
    const { db } = dynamo();
    const { appointment, taskToken } = await submitAnswers(db, {
      patientId: caller.sub,
      appointmentId: path.id,
      answers: body.answers,
      actor: { id: caller.sub, role: caller.role },
      now,
    });
    try {
      await sendTaskSuccess(taskToken, { submittedAt: appointment.prescreening.submittedAt });
    } catch (error) {
      // The workflow's answer wait timed out in the same moment: it is releasing the hold.
      if (isTaskGone(error)) throw new ConflictError("PRESCREENING_CLOSED", "The time to answer has passed; the hold is being released");
      throw error;
    }
    const { questionnaire } = await prescreeningConfigFor(db, appointment.typeId);
    return json(200, prescreeningView(appointment, appointment.prescreening, questionnaire));
  },
  { idempotent: true },
);
