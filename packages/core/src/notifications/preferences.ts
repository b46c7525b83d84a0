/**
 * A patient's notification preferences (`PUT /api/me/notification-preferences`): which channels
 * in which order, the language, quiet hours in the patient's own time zone (not the clinic's:
 * quiet hours are about where the patient sleeps), and contacts that the profile lacks.
 */
import { IANAZone } from "luxon";
import { z } from "zod";
import { languages, type Language } from "./templates";

export const channels = ["email", "sms", "push"] as const;
export type Channel = (typeof channels)[number];

/** E.164: "+", country code, up to 15 digits in all — what SNS accepts as a PhoneNumber. */
export const E164 = /^\+[1-9]\d{6,14}$/;
/** An SNS platform endpoint (mobile push), e.g. arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/app/uuid */
export const PUSH_ENDPOINT_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:endpoint\/[^/]+\/[^/]+\/[\w-]+$/;

const localTime = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$/, "expected HH:mm (00:00–23:59)");

/** `start` ≥ `end` means the window spans midnight (22:00–07:00). */
export const quietHoursSchema = z
  .strictObject({ start: localTime, end: localTime })
  .refine((q) => q.start !== q.end, { message: "start and end must differ", path: ["end"] });

const base64url = (min: number, max: number) => z.string().regex(/^[A-Za-z0-9_-]+=*$/, "expected base64url").min(min).max(max);

/**
 * A browser's Web Push subscription (PushSubscription.toJSON()): the push service's URL for this
 * device, and the keys the message is encrypted for (RFC 8291). Sent over HTTPS only.
 */
export const webPushSubscriptionSchema = z.strictObject({
  endpoint: z.url({ protocol: /^https$/, message: "expected the push service's https URL" }).max(2048),
  expirationTime: z.number().nullable().optional(),
  keys: z.strictObject({ p256dh: base64url(80, 100), auth: base64url(16, 32) }),
});
export type WebPushSubscription = z.infer<typeof webPushSubscriptionSchema>;

export const notificationPreferencesSchema = z.strictObject({
  channels: z
    .array(z.enum(channels))
    .min(1)
    .refine((list) => new Set(list).size === list.length, { message: "each channel at most once" }),
  language: z.enum(languages),
  quietHours: quietHoursSchema.nullable(),
  timeZone: z.string().refine((zone) => IANAZone.isValidZone(zone), { message: "not an IANA time zone" }),
  contacts: z
    .strictObject({
      phone: z.string().regex(E164, "expected an E.164 phone number (+4915112345678)").optional(),
      /** A native app's SNS platform endpoint. */
      pushEndpointArn: z.string().regex(PUSH_ENDPOINT_ARN, "expected an SNS platform endpoint ARN").optional(),
      /** This web app's subscription on one browser (used when there is no native endpoint). */
      webPush: webPushSubscriptionSchema.optional(),
    })
    .optional(),
});

export type NotificationPreferences = z.infer<typeof notificationPreferencesSchema>;
export type QuietHours = z.infer<typeof quietHoursSchema>;

export const DEFAULT_QUIET_HOURS: QuietHours = { start: "21:00", end: "08:00" };

/** "de-AT" → "de" when supported; anything else → "en". */
export function supportedLanguage(tag: string | undefined): Language {
  const primary = tag?.split(/[-_]/)[0]?.toLowerCase();
  return (languages as readonly string[]).includes(primary ?? "") ? (primary as Language) : "en";
}

/** What a patient who never saved preferences gets: email only, quiet at night. An invalid zone
 * falls back to UTC rather than failing a notification. */
export function defaultPreferences(profile: { preferredLanguage?: string; timeZone: string }): NotificationPreferences {
  return {
    channels: ["email"],
    language: supportedLanguage(profile.preferredLanguage),
    quietHours: { ...DEFAULT_QUIET_HOURS },
    timeZone: IANAZone.isValidZone(profile.timeZone) ? profile.timeZone : "UTC",
  };
}
