/**
 * Post-confirmation trigger of the patients pool: a confirmed sign-up gets its patient profile
 * (name, e-mail, language) at once, so the first booking finds it. Idempotent: Cognito may call
 * it again, and `GET /api/me` creates a missing profile too.
 */
import type { PostConfirmationTriggerEvent } from "aws-lambda";
import { ensurePatientProfile } from "@carebook/core/patient";
import { dynamo, env } from "../lib/env";

/** A BCP-47 primary language from Cognito's `locale` attribute ("de-DE" → "de"), else English. */
function languageOf(locale: string | undefined): string {
  const primary = locale?.trim().toLowerCase().split(/[-_]/)[0];
  return primary && /^[a-z]{2,3}$/.test(primary) ? primary : "en";
}

export async function handler(event: PostConfirmationTriggerEvent): Promise<PostConfirmationTriggerEvent> {
  if (event.triggerSource !== "PostConfirmation_ConfirmSignUp") return event;
  const attributes = event.request.userAttributes;
  const email = attributes.email ?? "";
  await ensurePatientProfile(dynamo().db, {
    patientId: attributes.sub!,
    regionId: env("CAREBOOK_REGION_ID"),
    name: attributes.name || email.split("@")[0] || "Patient",
    email,
    preferredLanguage: languageOf(attributes.locale),
    now: Date.now(),
  });
  return event;
}
