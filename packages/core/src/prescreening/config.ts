/**
 * Pre-screening settings of an appointment type, and the deadlines they give one appointment.
 *
 * Time line of a held appointment (all instants UTC):
 *   booked ── answerBy ─────── (answers) ── slaDueAt ── (escalation) ── decideBy ── start
 * - answerBy  = min(booked + answerWithinMinutes, start − answerCutoffMinutes)
 * - slaDueAt  = answers + decisionSlaMinutes (capped at decideBy); `call-patient` restarts it once
 * - decideBy  = start − decisionCutoffMinutes: the nurse's last moment; after it the hold goes
 * The hold itself lapses a little after decideBy (HOLD_GRACE_MS), so the workflow — not the
 * sweeper — is what normally releases it.
 */
import { z } from "zod";
import { questionnaireSchema } from "./questionnaire";

const MINUTE = 60_000;

export const prescreeningConfigSchema = z.object({
  questionnaire: questionnaireSchema,
  answerWithinMinutes: z.number().int().min(5).max(7 * 24 * 60).default(24 * 60),
  answerCutoffMinutes: z.number().int().min(0).max(7 * 24 * 60).default(120),
  decisionSlaMinutes: z.number().int().min(5).max(7 * 24 * 60).default(4 * 60),
  decisionCutoffMinutes: z.number().int().min(0).max(7 * 24 * 60).default(60),
});
export type PrescreeningConfig = z.infer<typeof prescreeningConfigSchema>;

/** How long a fresh hold lasts before its workflow confirms it has started: a crash between
 * writing the hold and starting the workflow frees the time after this, via the sweeper. */
export const INITIAL_HOLD_MS = 15 * MINUTE;
/** The hold outlives the workflow's last deadline by this much. */
export const HOLD_GRACE_MS = 10 * MINUTE;

export function parsePrescreeningConfig(value: unknown): PrescreeningConfig {
  return prescreeningConfigSchema.parse(value);
}

export function deadlinesFor(config: PrescreeningConfig, start: number, bookedAt: number) {
  const decideBy = start - config.decisionCutoffMinutes * MINUTE;
  const answerBy = Math.min(bookedAt + config.answerWithinMinutes * MINUTE, start - config.answerCutoffMinutes * MINUTE, decideBy);
  return { answerBy, decideBy, holdExpiresAt: decideBy + HOLD_GRACE_MS };
}

export function slaDueFrom(config: PrescreeningConfig, from: number, decideBy: number) {
  return Math.min(from + config.decisionSlaMinutes * MINUTE, decideBy);
}
