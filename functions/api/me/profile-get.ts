import { ensurePatientProfile, profileView } from "@carebook/core/patient";
import { dynamo, env } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

/** Who the caller is: a patient's profile (created from the token on first use), or a staff
 * member's record (roles, clinics, doctor). */
export const handler = httpHandler("GET /api/me", async ({ caller, now }) => {
  if (caller.staff) {
    const { sub, name, email, roles, clinicIds, doctorId } = caller.staff;
    return json(200, { id: sub, kind: "staff", name, email, roles, clinicIds, doctorId: doctorId ?? null });
  }
  const email = caller.email ?? "";
  const profile = await ensurePatientProfile(dynamo().db, {
    patientId: caller.sub,
    regionId: env("CAREBOOK_REGION_ID"),
    name: email.split("@")[0] || "Patient",
    email,
    now,
  });
  return json(200, { kind: "patient", ...profileView(profile) });
});
