import { staffPrescreeningView } from "@carebook/core/api";
import { awaitRecorded, prepareDecision, prescreeningConfigFor } from "@carebook/core/appointment/hold";
import { ConflictError } from "@carebook/core/errors";
import type { PrescreeningState } from "@carebook/core/prescreening/state";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";
import { resumeWith } from "../../lib/workflows";

export const handler = httpHandler(
  "POST /api/staff/prescreening/{appointmentId}/decision",
  async ({ path, body, caller, now }) => {
    const { db } = dynamo();
    const { appointment, taskToken, signal } = await prepareDecision(db, {
      appointmentId: path.appointmentId,
      decision: body.decision,
      note: body.note,
      actor: caller.actor,
      guard: caller.access.guard,
      now,
    });
    // The token decides between this decision, another nurse's, and the SLA timeout: only one
    // of them resumes the workflow, and only that one is recorded (by the workflow).
    await resumeWith(
      taskToken,
      signal,
      () => new ConflictError("PRESCREENING_MOVED_ON", "The pre-screening moved on meanwhile (another decision or a deadline); reload it"),
    );
    const recorded = await awaitRecorded(db, appointment.appointmentId, (a) => {
      const state = a.prescreening as PrescreeningState | undefined;
      return a.status !== "pending" || state?.decidedAt === signal.decidedAt || state?.calledPatientAt === signal.decidedAt;
    });
    const { questionnaire } = await prescreeningConfigFor(db, appointment.typeId);
    const current = recorded ?? appointment;
    return json(200, staffPrescreeningView(current, current.prescreening as PrescreeningState, questionnaire, now));
  },
  { idempotent: true },
);
