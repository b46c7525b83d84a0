import { z } from "zod";
import type { Db, Patient, StaffMember } from "./entities";
import { NotFoundError } from "./errors";
import { toUtcIso } from "./schedule/slots";

/** Creates the patient profile for a new identity (idempotent: an existing profile is kept). */
export async function ensurePatientProfile(
  db: Db,
  input: { patientId: string; regionId: string; name: string; email: string; preferredLanguage?: string; now: number },
): Promise<Patient> {
  const existing = await db.patient.get({ patientId: input.patientId }).go();
  if (existing.data) return existing.data;
  const profile: Patient = {
    patientId: input.patientId,
    regionId: input.regionId,
    name: input.name,
    email: input.email,
    preferredLanguage: input.preferredLanguage ?? "en",
    createdAt: toUtcIso(input.now),
  };
  // `create` is conditional: if a concurrent call won, read its profile instead.
  try {
    await db.patient.create(profile).go();
    return profile;
  } catch {
    const again = await db.patient.get({ patientId: input.patientId }).go();
    if (again.data) return again.data;
    throw new Error(`could not create the profile of ${input.patientId}`);
  }
}

/** A reference: an identifier in another system, never free text (no medical content here). */
const reference = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._\/:-]*$/, "a reference: letters, digits and . _ / : - only");

/**
 * `PUT /api/me`: the fields a patient edits. The e-mail address is the sign-in identity and
 * changes through the identity provider (it verifies the new address), not here. Omitted
 * optional fields are cleared: PUT replaces.
 */
export const profileSchema = z.strictObject({
  name: z.string().trim().min(1, "a name is required").max(200),
  phone: z
    .string()
    .trim()
    .regex(/^\+[1-9]\d{6,14}$/, "an international number, e.g. +447700900123")
    .optional(),
  preferredLanguage: z
    .string()
    .trim()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "a language tag, e.g. en or pt-BR"),
  insuranceRef: reference.optional(),
  medicalRecordRef: reference.optional(),
});
export type ProfileInput = z.infer<typeof profileSchema>;

export function profileView(p: Patient) {
  return {
    id: p.patientId,
    name: p.name,
    email: p.email,
    phone: p.phone ?? null,
    preferredLanguage: p.preferredLanguage,
    insuranceRef: p.insuranceRef ?? null,
    medicalRecordRef: p.medicalRecordRef ?? null,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt ?? p.createdAt,
  };
}

/** GET/PUT /api/me for a patient: their profile. */
export function patientMeView(p: Patient) {
  return { kind: "patient" as const, ...profileView(p) };
}

/** GET /api/me for staff: their staff record (roles, clinics, doctor record). */
export function staffMeView(m: StaffMember) {
  return { kind: "staff" as const, id: m.sub, name: m.name, email: m.email, roles: m.roles, clinicIds: m.clinicIds, doctorId: m.doctorId ?? null };
}

export type MeView = ReturnType<typeof patientMeView> | ReturnType<typeof staffMeView>;

/** Replaces the editable fields of an existing profile (404 if there is none). */
export async function updateProfile(db: Db, patientId: string, input: ProfileInput, now: number): Promise<Patient> {
  const cleared = (["phone", "insuranceRef", "medicalRecordRef"] as const).filter((k) => input[k] === undefined);
  try {
    const patch = db.patient
      .patch({ patientId })
      .set({
        name: input.name,
        preferredLanguage: input.preferredLanguage,
        updatedAt: toUtcIso(now),
        ...(input.phone !== undefined ? { phone: input.phone } : {}),
        ...(input.insuranceRef !== undefined ? { insuranceRef: input.insuranceRef } : {}),
        ...(input.medicalRecordRef !== undefined ? { medicalRecordRef: input.medicalRecordRef } : {}),
      });
    const { data } = await (cleared.length ? patch.remove(cleared) : patch).go({ response: "all_new" });
    return data as Patient;
  } catch (error) {
    // `patch` is conditional on the item existing.
    if (/conditional request failed/i.test(String((error as Error).message))) throw new NotFoundError("Profile", { patientId });
    throw error;
  }
}
