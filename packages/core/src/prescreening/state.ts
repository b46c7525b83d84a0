/**
 * The pre-screening state kept on a held appointment (`appointment.prescreening`).
 */
import { z } from "zod";

export const prescreeningStates = [
  "awaiting-answers",
  "awaiting-decision",
  "approved",
  "rejected",
  "released",
] as const;

export const decisions = ["approve", "reject", "call-patient"] as const;
export type Decision = (typeof decisions)[number];

export const prescreeningStateSchema = z.object({
  state: z.enum(prescreeningStates),
  answerBy: z.string(),
  decideBy: z.string(),
  answers: z.record(z.string(), z.unknown()).optional(),
  submittedAt: z.string().optional(),
  slaDueAt: z.string().optional(),
  escalatedAt: z.string().optional(),
  calledPatientAt: z.string().optional(),
  callNote: z.string().optional(),
  decision: z.enum(decisions).optional(),
  decidedBy: z.string().optional(),
  decidedAt: z.string().optional(),
  note: z.string().optional(),
  releasedReason: z.string().optional(),
});
export type PrescreeningState = z.infer<typeof prescreeningStateSchema>;
