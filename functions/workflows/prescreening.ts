/**
 * The pre-screening workflow's Lambda (functions/workflows/prescreening.asl.json): one function,
 * one small step per `action`.
 */
import { z } from "zod";
import {
  beginPrescreening,
  confirmHold,
  escalatePrescreening,
  decisionSignalSchema,
  planDecision,
  recordAnswers,
  recordDecision,
  releaseHold,
  storeTaskToken,
  submissionSchema,
} from "@carebook/core/appointment/hold";
import { WORKFLOW_ACTOR } from "@carebook/core/appointment/tx";
import { dynamo } from "../lib/env";
import { workflowHandler } from "../lib/workflow-handler";

const appointmentId = z.string().min(1);

const stepSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("begin"), appointmentId }),
  z.object({ action: z.literal("await"), stage: z.enum(["answers", "decision"]), appointmentId, taskToken: z.string().min(1) }),
  z.object({ action: z.literal("record-answers"), appointmentId, submission: submissionSchema }),
  z.object({ action: z.literal("plan-decision"), appointmentId }),
  z.object({ action: z.literal("record-decision"), appointmentId, signal: decisionSignalSchema }),
  z.object({ action: z.literal("escalate"), appointmentId }),
  z.object({ action: z.literal("confirm"), appointmentId }),
  z.object({ action: z.literal("release"), appointmentId, reason: z.string().min(1) }),
]);

export const handler = workflowHandler(stepSchema, async (step) => {
  const { db } = dynamo();
  const now = Date.now();
  switch (step.action) {
    case "begin":
      return beginPrescreening(db, { appointmentId: step.appointmentId, now });
    case "await":
      return storeTaskToken(db, step);
    case "record-answers":
      return recordAnswers(db, { appointmentId: step.appointmentId, submission: step.submission, now });
    case "record-decision":
      return recordDecision(db, { appointmentId: step.appointmentId, signal: step.signal, now });
    case "plan-decision":
      return planDecision(db, { appointmentId: step.appointmentId, now });
    case "escalate":
      return escalatePrescreening(db, { appointmentId: step.appointmentId, now });
    case "confirm":
      return confirmHold(db, { appointmentId: step.appointmentId, now });
    case "release": {
      const released = await releaseHold(db, { appointmentId: step.appointmentId, reason: step.reason, actor: WORKFLOW_ACTOR, now });
      return { released: released !== undefined };
    }
  }
});
