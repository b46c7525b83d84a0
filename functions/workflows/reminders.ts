/** The reminders workflow's Lambda (functions/workflows/reminders.asl.json). */
import { z } from "zod";
import { planReminders, sendReminder } from "@carebook/core/appointment/reminders";
import { dynamo } from "../lib/env";
import { workflowHandler } from "../lib/workflow-handler";

const appointmentId = z.string().min(1);
const version = z.number().int().min(1);

const stepSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("plan"), appointmentId, version }),
  z.object({ action: z.literal("send"), appointmentId, version, kind: z.string().min(1), at: z.string().min(1) }),
]);

export const handler = workflowHandler(stepSchema, async (step) => {
  const { db } = dynamo();
  const now = Date.now();
  if (step.action === "plan") return planReminders(db, { ...step, now });
  return sendReminder(db, { ...step, now });
});
