import { z } from "zod";

/** Minutes are counted in claim units: every duration, buffer and template time is a multiple. */
export const CLAIM_UNIT_MINUTES = 5;
export const CLAIM_UNIT_MS = CLAIM_UNIT_MINUTES * 60_000;

export const weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof weekdays)[number];

/** Local wall-clock time "HH:mm" ("24:00" allowed as an end), on the claim-unit grid. */
export const localTimeSchema = z
  .string()
  .regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, "expected HH:mm")
  .refine((t) => Number(t.slice(3)) % CLAIM_UNIT_MINUTES === 0, {
    message: `minutes must be a multiple of ${CLAIM_UNIT_MINUTES}`,
  });

/** A working interval in the clinic's local time on one day; end after start. */
export const timeRangeSchema = z
  .object({ start: localTimeSchema, end: localTimeSchema })
  .refine((r) => r.end > r.start, { message: "end must be after start" });
export type TimeRange = z.infer<typeof timeRangeSchema>;

export const weeklyTemplateSchema = z.object(
  Object.fromEntries(weekdays.map((d) => [d, z.array(timeRangeSchema).default([])])) as Record<
    Weekday,
    z.ZodDefault<z.ZodArray<typeof timeRangeSchema>>
  >,
);
export type WeeklyTemplate = Record<Weekday, TimeRange[]>;

export const isoDateSchema = z.iso.date();

/** Replaces the template on one local date; `intervals: []` is a day off. */
export const dateOverrideSchema = z.object({
  date: isoDateSchema,
  intervals: z.array(timeRangeSchema),
});
export type DateOverride = z.infer<typeof dateOverrideSchema>;

export interface DoctorSchedule {
  doctorId: string;
  template: WeeklyTemplate;
  overrides: DateOverride[];
}

/** Time a doctor is away (approved leave): [start, end) as UTC ISO instants. */
export interface Absence {
  leaveId: string;
  start: string;
  end: string;
}

/** The time rules of an appointment type that slot search needs. */
export interface SlotRules {
  durationMinutes: number;
  bufferBeforeMinutes: number;
  bufferAfterMinutes: number;
  minimumNoticeMinutes: number;
  bookingHorizonDays: number;
}

/** Time a doctor is already taken: [start, end) in epoch ms, buffers included. */
export interface BusyBlock {
  doctorId: string;
  start: number;
  end: number;
}

/** One bookable start at a clinic, with the doctors free for it (never exposed by the API). */
export interface Slot {
  /** epoch ms of the appointment start (not of the buffer) */
  start: number;
  /** epoch ms of the appointment end (duration only) */
  end: number;
  /** Local ISO-8601 with offset, e.g. 2026-03-30T09:00:00+01:00 */
  localStart: string;
  /** Free qualified doctors, sorted by id */
  doctorIds: string[];
}
