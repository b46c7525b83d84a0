import { ensurePatientProfile, patientMeView, staffMeView, type MeView } from "@carebook/core/patient";
import { dynamo, env } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

/** Who the caller is: a patient's profile (created from the token on first use), or a staff
 * member's record (roles, clinics, doctor). */
export const handler = httpHandler("GET /api/me", async ({ caller, now }) => {
  if (caller.staff) return json<MeView>(200, staffMeView(caller.staff));
  const email = caller.email ?? "";
  const profile = await ensurePatientProfile(dynamo().db, {
    patientId: caller.sub,
    regionId: env("CAREBOOK_REGION_ID"),
    name: email.split("@")[0] || "Patient",
    email,
    now,
  });
  return json<MeView>(200, patientMeView(profile));
});
