import type { Db, Patient } from "./entities";
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
