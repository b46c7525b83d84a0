import { prescreeningView } from "@carebook/core/api";
import { awaitRecorded, prepareAnswers } from "@carebook/core/appointment/hold";
import { ConflictError } from "@carebook/core/errors";
import type { PrescreeningState } from "@carebook/core/prescreening/state";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";
import { resumeWith } from "../../lib/workflows";

export const handler = httpHandler(
  "POST /api/appointments/{id}/prescreening",
  async ({ path, body, caller, now }) => {
    const { db } = dynamo();
    const { appointment, taskToken, submission, questionnaire } = await prepareAnswers(db, {
      patientId: caller.sub,
      appointmentId: path.id,
      answers: body.answers,
      actor: caller.actor,
      now,
    });
    // The token decides between these answers and the answer deadline: if it is spent, the
    // workflow has timed out (and is releasing the hold) or took other answers; nothing is written.
    await resumeWith(taskToken, submission, () => new ConflictError("PRESCREENING_CLOSED", "These answers came too late: the time to answer has passed"));
    const recorded = await awaitRecorded(db, path.id, (a) => (a.prescreening as PrescreeningState | undefined)?.submittedAt === submission.submittedAt);
    const state: PrescreeningState = recorded?.prescreening ?? {
      ...(appointment.prescreening as PrescreeningState),
      state: "awaiting-decision",
      answers: submission.answers,
      submittedAt: submission.submittedAt,
    };
    return json(200, prescreeningView(recorded ?? appointment, state, questionnaire));
  },
  { idempotent: true },
);
