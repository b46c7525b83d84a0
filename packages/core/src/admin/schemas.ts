/**
 * The admin catalog API's request schemas (zod) and views: clinics, doctors, appointment types
 * and the region's settings. The route table validates requests with these (400 with the
 * issues); the admin functions (./clinics.ts, ./doctors.ts, ./types.ts, ./region.ts) check
 * what needs the stored item — a type's rules after a partial update, clinics that must exist.
 *
 * Updates (`PUT`) are partial: a field left out stays as it is, `null` clears an optional one.
 * `expectedUpdatedAt` (the `updatedAt` of the view the client edited) makes the update fail
 * with 409 if someone changed the item since.
 */
import { IANAZone } from "luxon";
import { z } from "zod";
import { appointmentTypeView, clinicView } from "../api";
import { REGION_AUDIT_CLINIC_ID } from "../audit/entry";
import type { AppointmentType, Clinic, Doctor, Region } from "../entities";
import { ValidationError } from "../errors";
import { prescreeningConfigSchema } from "../prescreening/config";
import { CLAIM_UNIT_MINUTES } from "../schedule/types";

const DAY_MINUTES = 24 * 60;
/** Reminders go out at most this long before the start (the reminders workflow waits that long). */
export const MAX_REMINDER_OFFSET_MINUTES = 14 * DAY_MINUTES;
export const MAX_REMINDER_OFFSETS = 10;
export const MAX_DOCTOR_CLINICS = 20;
export const RETENTION_DAYS = { min: 1, max: 3650 } as const;

// ---------------------------------------------------------------------------------------
// Building blocks

/** Ids an administrator chooses for what they create: lower-case slugs, readable in URLs,
 * logs and audit entries ("london-central", "general-consultation"). */
export const catalogIdSchema = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, "expected a lower-case slug: letters, digits and dashes, at most 64");

/** A clinic's id: a slug, but not the id of the region's own audit chain. */
export const clinicIdSchema = catalogIdSchema.refine((id) => id !== REGION_AUDIT_CLINIC_ID, {
  message: `"${REGION_AUDIT_CLINIC_ID}" is reserved`,
});

/** An id named in a path or a list: whatever ids exist (seeded ones too), so an odd one is a 404. */
const existingId = z.string().trim().min(1).max(100);

const text = (max: number) => z.string().trim().min(1, "must not be empty").max(max);

export const timeZoneSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((zone) => IANAZone.isValidZone(zone), { message: "expected an IANA time zone, e.g. Europe/London" });

/** International format: "+", then 8–15 digits; spaces, dashes and brackets may group them. */
export const phoneSchema = z
  .string()
  .trim()
  .regex(/^\+[1-9][0-9 ()-]{6,24}$/, "expected an international phone number, e.g. +44 20 7946 0000")
  .refine((phone) => {
    const digits = phone.replace(/\D/g, "").length;
    return digits >= 8 && digits <= 15;
  }, { message: "expected 8 to 15 digits" });

export const addressSchema = z.strictObject({
  line1: text(200),
  city: text(100),
  postcode: text(20),
  country: z.string().trim().toUpperCase().regex(/^[A-Z]{2}$/, "expected an ISO 3166-1 alpha-2 country code, e.g. GB"),
});

/** A time on the claim-unit grid (every duration, buffer and notice is a multiple of 5 minutes). */
const minutes = (min: number, max: number) =>
  z.number().int().min(min).max(max).multipleOf(CLAIM_UNIT_MINUTES, `must be a multiple of ${CLAIM_UNIT_MINUTES} minutes`);

const distinctList = <T extends z.ZodType<string | number>>(item: T, what: string, min: number, max: number) =>
  z
    .array(item)
    .min(min)
    .max(max)
    .refine((list) => new Set(list).size === list.length, { message: `${what} must be distinct` });

/** Minutes before the start, latest first once stored; [] = no reminders. */
export const reminderOffsetsSchema = distinctList(
  z.number().int().min(1, "must be positive").max(MAX_REMINDER_OFFSET_MINUTES, "at most 14 days before the start"),
  "reminder offsets",
  0,
  MAX_REMINDER_OFFSETS,
).transform((offsets) => [...offsets].sort((a, b) => b - a));

/** A skill a type may require ("cardiology"). */
export const skillSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, "expected a lower-case slug, e.g. general-practice");

/** A BCP-47 primary language subtag (ISO 639): "en", "pl", "yue". */
export const languageSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z]{2,3}$/, "expected a BCP-47 primary language tag, e.g. en, pl");

/** The `updatedAt` of the item as the client last saw it. */
const expectedUpdatedAt = z.iso.datetime({ message: "expected the updatedAt of the item, as the API gave it" }).optional();

/** At least one of `fields` is given (an update that changes nothing is a client mistake). */
function someOf<T extends Record<string, unknown>>(fields: ReadonlyArray<keyof T & string>) {
  return [
    (body: T) => fields.some((f) => body[f] !== undefined),
    { message: `nothing to change: give at least one of ${fields.join(", ")}` },
  ] as const;
}

/** `schema.parse` with a 400 carrying zod's issues, for checks made after the route's own. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(
    `Invalid ${what}`,
    result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message, code: i.code })),
  );
}

// ---------------------------------------------------------------------------------------
// Clinics

export const CLINIC_FIELDS = ["name", "timeZone", "address", "phone"] as const;

export const createClinicSchema = z.strictObject({
  clinicId: clinicIdSchema,
  name: text(200),
  timeZone: timeZoneSchema,
  address: addressSchema,
  phone: phoneSchema.optional(),
});
export type CreateClinic = z.infer<typeof createClinicSchema>;

export const updateClinicSchema = z
  .strictObject({
    name: text(200).optional(),
    timeZone: timeZoneSchema.optional(),
    address: addressSchema.optional(),
    phone: phoneSchema.nullable().optional(),
    expectedUpdatedAt,
  })
  .refine(...someOf(CLINIC_FIELDS));
export type UpdateClinic = z.infer<typeof updateClinicSchema>;

/** `force`: deactivate although appointments are still booked there (they stay booked). */
export const deactivateClinicSchema = z.strictObject({ force: z.boolean().default(false) });

/** Nothing to choose: an inactive clinic comes back as it was (its bookings never left). */
export const reactivateClinicSchema = z.strictObject({});

export const clinicPathSchema = z.object({ clinicId: existingId });

// ---------------------------------------------------------------------------------------
// Doctors

export const DOCTOR_FIELDS = ["name", "clinicIds", "skills", "languages", "userSub"] as const;

const doctorFields = {
  name: text(200),
  clinicIds: distinctList(existingId, "clinicIds", 1, MAX_DOCTOR_CLINICS),
  skills: distinctList(skillSchema, "skills", 1, 20),
  languages: distinctList(languageSchema, "languages", 1, 10),
  /** The doctor's staff account (staff pool `sub`). */
  userSub: z.string().trim().min(1).max(128),
};

export const createDoctorSchema = z.strictObject({
  doctorId: catalogIdSchema,
  ...doctorFields,
  userSub: doctorFields.userSub.optional(),
});
export type CreateDoctor = z.infer<typeof createDoctorSchema>;

export const updateDoctorSchema = z
  .strictObject({
    name: doctorFields.name.optional(),
    clinicIds: doctorFields.clinicIds.optional(),
    skills: doctorFields.skills.optional(),
    languages: doctorFields.languages.optional(),
    /** null unlinks the account. */
    userSub: doctorFields.userSub.nullable().optional(),
    expectedUpdatedAt,
    /** When the change takes a clinic or a skill away that future bookings need: move them to
     * other free doctors (or ask their patients to pick another time), as approved leave does,
     * instead of refusing (409 DOCTOR_HAS_BOOKINGS). Left out: refused. */
    reassign: z.boolean().optional(),
  })
  .refine(...someOf(DOCTOR_FIELDS));
export type UpdateDoctor = z.infer<typeof updateDoctorSchema>;

/** Nothing to choose yet: a doctor with future bookings is refused (409 DOCTOR_HAS_BOOKINGS). */
export const deactivateDoctorSchema = z.strictObject({
  /** With future bookings: move them to other doctors (or ask their patients to pick another
   * time), as approved leave does, instead of refusing (409 DOCTOR_HAS_BOOKINGS). */
  reassign: z.boolean().default(false),
});

/** Nothing to choose: the doctor comes back with their clinics, skills and hours. */
export const reactivateDoctorSchema = z.strictObject({});

export const doctorPathSchema = z.object({ doctorId: existingId });

export const listDoctorsQuerySchema = z.object({ clinicId: existingId.optional() });

// ---------------------------------------------------------------------------------------
// Appointment types

export const TYPE_FIELDS = [
  "name",
  "description",
  "durationMinutes",
  "bufferBeforeMinutes",
  "bufferAfterMinutes",
  "minimumNoticeMinutes",
  "bookingHorizonDays",
  "requiresPrescreening",
  "prescreening",
  "reminderOffsetsMinutes",
  "requiredSkill",
] as const;

const typeFields = {
  name: text(200),
  description: z.string().trim().max(1000),
  durationMinutes: minutes(5, 8 * 60),
  bufferBeforeMinutes: minutes(0, 120),
  bufferAfterMinutes: minutes(0, 120),
  minimumNoticeMinutes: minutes(0, 30 * DAY_MINUTES),
  bookingHorizonDays: z.number().int().min(1).max(2 * 365),
  requiresPrescreening: z.boolean(),
  /** Questionnaire and time limits (prescreening/config.ts; its defaults fill what is left out). */
  prescreening: prescreeningConfigSchema,
  /** The type's own reminder times; without them, the region's. */
  reminderOffsetsMinutes: reminderOffsetsSchema,
  /** Only doctors with this skill take the type. */
  requiredSkill: skillSchema,
};

type TypeRules = {
  minimumNoticeMinutes: number;
  bookingHorizonDays: number;
  requiresPrescreening: boolean;
  prescreening?: z.infer<typeof prescreeningConfigSchema>;
};

/** Rules across fields, checked on a new type and on a type as an update would leave it. */
function checkTypeRules(t: TypeRules, ctx: z.RefinementCtx) {
  if (t.bookingHorizonDays * DAY_MINUTES <= t.minimumNoticeMinutes) {
    ctx.addIssue({ code: "custom", path: ["bookingHorizonDays"], message: "the booking horizon must reach beyond the minimum notice" });
  }
  if (!t.requiresPrescreening) return;
  if (!t.prescreening) {
    ctx.addIssue({ code: "custom", path: ["prescreening"], message: "a type that requires pre-screening needs its questionnaire (prescreening)" });
    return;
  }
  // A booking made at the minimum notice must leave time to answer and to decide before the
  // cut-offs, or its hold would lapse the moment it is made.
  const cutoff = Math.max(t.prescreening.answerCutoffMinutes, t.prescreening.decisionCutoffMinutes);
  if (t.minimumNoticeMinutes <= cutoff) {
    ctx.addIssue({
      code: "custom",
      path: ["minimumNoticeMinutes"],
      message: `with pre-screening the minimum notice must exceed the pre-screening cut-offs (${cutoff} minutes)`,
    });
  }
}

export const createTypeSchema = z
  .strictObject({
    typeId: catalogIdSchema,
    name: typeFields.name,
    description: typeFields.description.optional(),
    durationMinutes: typeFields.durationMinutes,
    bufferBeforeMinutes: typeFields.bufferBeforeMinutes.default(0),
    bufferAfterMinutes: typeFields.bufferAfterMinutes.default(0),
    minimumNoticeMinutes: typeFields.minimumNoticeMinutes.default(0),
    bookingHorizonDays: typeFields.bookingHorizonDays.default(365),
    requiresPrescreening: typeFields.requiresPrescreening.default(false),
    prescreening: typeFields.prescreening.optional(),
    reminderOffsetsMinutes: typeFields.reminderOffsetsMinutes.optional(),
    requiredSkill: typeFields.requiredSkill.optional(),
  })
  .superRefine(checkTypeRules);
export type CreateType = z.infer<typeof createTypeSchema>;

/** A type's settings as a whole: an update merged onto the stored type must pass this. */
export const typeSettingsSchema = z
  .object({
    name: typeFields.name,
    description: typeFields.description.optional(),
    durationMinutes: typeFields.durationMinutes,
    bufferBeforeMinutes: typeFields.bufferBeforeMinutes,
    bufferAfterMinutes: typeFields.bufferAfterMinutes,
    minimumNoticeMinutes: typeFields.minimumNoticeMinutes,
    bookingHorizonDays: typeFields.bookingHorizonDays,
    requiresPrescreening: typeFields.requiresPrescreening,
    prescreening: typeFields.prescreening.optional(),
    reminderOffsetsMinutes: typeFields.reminderOffsetsMinutes.optional(),
    requiredSkill: typeFields.requiredSkill.optional(),
  })
  .superRefine(checkTypeRules);

export const updateTypeSchema = z
  .strictObject({
    name: typeFields.name.optional(),
    description: typeFields.description.nullable().optional(),
    durationMinutes: typeFields.durationMinutes.optional(),
    bufferBeforeMinutes: typeFields.bufferBeforeMinutes.optional(),
    bufferAfterMinutes: typeFields.bufferAfterMinutes.optional(),
    minimumNoticeMinutes: typeFields.minimumNoticeMinutes.optional(),
    bookingHorizonDays: typeFields.bookingHorizonDays.optional(),
    requiresPrescreening: typeFields.requiresPrescreening.optional(),
    /** null removes the questionnaire (only from a type without pre-screening). */
    prescreening: typeFields.prescreening.nullable().optional(),
    /** null: the region's reminder times again. */
    reminderOffsetsMinutes: typeFields.reminderOffsetsMinutes.nullable().optional(),
    /** null: any doctor of the clinic takes the type. */
    requiredSkill: typeFields.requiredSkill.nullable().optional(),
    expectedUpdatedAt,
  })
  .refine(...someOf(TYPE_FIELDS));
export type UpdateType = z.infer<typeof updateTypeSchema>;

export const deactivateTypeSchema = z.strictObject({});

/** Nothing to choose: the type comes back with its settings (which must pass the type's rules). */
export const reactivateTypeSchema = z.strictObject({});

export const typePathSchema = z.object({ typeId: existingId });

// ---------------------------------------------------------------------------------------
// Region settings

export const REGION_FIELDS = ["name", "defaultTimeZone", "retentionDays", "reminderOffsetsMinutes"] as const;

export const updateRegionSchema = z
  .strictObject({
    name: text(200).optional(),
    /** The time zone of patients who set none (quiet hours, notification times). */
    defaultTimeZone: timeZoneSchema.optional(),
    /** Days an ended appointment stays in the table before it is archived. */
    retentionDays: z.number().int().min(RETENTION_DAYS.min).max(RETENTION_DAYS.max).optional(),
    reminderOffsetsMinutes: reminderOffsetsSchema.optional(),
    expectedUpdatedAt,
  })
  .refine(...someOf(REGION_FIELDS));
export type UpdateRegion = z.infer<typeof updateRegionSchema>;

// ---------------------------------------------------------------------------------------
// Views: everything an administrator edits, inactive items included

export function adminClinicView(c: Clinic) {
  return { ...clinicView(c), active: c.active, updatedAt: c.updatedAt };
}
export type AdminClinicView = ReturnType<typeof adminClinicView>;

export function adminDoctorView(d: Doctor) {
  return {
    id: d.doctorId,
    name: d.name,
    clinicIds: d.clinicIds,
    skills: d.skills,
    languages: d.languages,
    userSub: d.userSub,
    active: d.active,
    updatedAt: d.updatedAt,
  };
}
export type AdminDoctorView = ReturnType<typeof adminDoctorView>;

export function adminTypeView(t: AppointmentType) {
  return {
    ...appointmentTypeView(t),
    prescreening: t.prescreening,
    reminderOffsetsMinutes: t.reminderOffsetsMinutes,
    active: t.active,
    updatedAt: t.updatedAt,
  };
}
export type AdminTypeView = ReturnType<typeof adminTypeView>;

export function regionSettingsView(r: Region) {
  return {
    id: r.regionId,
    name: r.name,
    awsRegion: r.awsRegion,
    defaultTimeZone: r.defaultTimeZone,
    retentionDays: r.retentionDays,
    reminderOffsetsMinutes: r.reminderOffsetsMinutes,
    updatedAt: r.updatedAt,
  };
}
export type RegionSettingsView = ReturnType<typeof regionSettingsView>;
