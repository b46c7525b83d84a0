import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultPreferences, notificationPreferencesSchema, type NotificationPreferences } from "@carebook/core/notifications/preferences";
import { deliverAt, inQuietHours, quietUntil } from "@carebook/core/notifications/quiet-hours";

const valid: NotificationPreferences = {
  channels: ["sms", "email"],
  language: "de",
  quietHours: { start: "22:00", end: "07:00" },
  timeZone: "Europe/Berlin",
  contacts: { phone: "+4915112345678", pushEndpointArn: "arn:aws:sns:eu-central-1:123456789012:endpoint/GCM/carebook/0a1b2c3d-4e5f-6789-abcd-ef0123456789" },
};

const issues = (input: unknown) => {
  const result = notificationPreferencesSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => i.path.join("."));
};

describe("notification preferences schema", () => {
  it("accepts a full document, quiet hours off, and no contacts", () => {
    expect(notificationPreferencesSchema.parse(valid)).toEqual(valid);
    const { contacts: _c, ...withoutContacts } = valid;
    expect(issues({ ...withoutContacts, quietHours: null })).toEqual([]);
  });

  it("rejects an empty or repeated channel list and unknown channels", () => {
    expect(issues({ ...valid, channels: [] })).toEqual(["channels"]);
    expect(issues({ ...valid, channels: ["email", "email"] })).toEqual(["channels"]);
    expect(issues({ ...valid, channels: ["fax"] })).toEqual(["channels.0"]);
  });

  it("rejects unsupported languages, bad times, an empty window and unknown time zones", () => {
    expect(issues({ ...valid, language: "fr" })).toEqual(["language"]);
    expect(issues({ ...valid, quietHours: { start: "24:00", end: "07:00" } })).toEqual(["quietHours.start"]);
    expect(issues({ ...valid, quietHours: { start: "7:00", end: "08:00" } })).toEqual(["quietHours.start"]);
    expect(issues({ ...valid, quietHours: { start: "07:00", end: "07:00" } })).toEqual(["quietHours.end"]);
    expect(issues({ ...valid, timeZone: "Europe/Atlantis" })).toEqual(["timeZone"]);
    expect(issues({ ...valid, timeZone: "CEST" })).toEqual(["timeZone"]);
  });

  it("rejects phone numbers that are not E.164 and ARNs that are not push endpoints", () => {
    expect(issues({ ...valid, contacts: { phone: "015112345678" } })).toEqual(["contacts.phone"]);
    expect(issues({ ...valid, contacts: { phone: "+49 151 1234567" } })).toEqual(["contacts.phone"]);
    expect(issues({ ...valid, contacts: { pushEndpointArn: "arn:aws:sns:eu-central-1:123456789012:my-topic" } })).toEqual(["contacts.pushEndpointArn"]);
  });

  it("rejects unknown keys at every level", () => {
    expect(issues({ ...valid, marketing: true })).toEqual([""]);
    expect(issues({ ...valid, quietHours: { start: "22:00", end: "07:00", days: [] } })).toEqual(["quietHours"]);
    expect(issues({ ...valid, contacts: { email: "x@example.com" } })).toEqual(["contacts"]);
  });

  it("defaults to e-mail with night-time quiet hours, in the profile's language when supported", () => {
    expect(defaultPreferences({ preferredLanguage: "de", timeZone: "Europe/Berlin" })).toEqual({
      channels: ["email"],
      language: "de",
      quietHours: { start: "21:00", end: "08:00" },
      timeZone: "Europe/Berlin",
    });
    expect(defaultPreferences({ preferredLanguage: "de-AT", timeZone: "Europe/Vienna" }).language).toBe("de");
    expect(defaultPreferences({ preferredLanguage: "pl", timeZone: "Europe/Warsaw" }).language).toBe("en");
    expect(defaultPreferences({ preferredLanguage: "en", timeZone: "Nowhere/Else" }).timeZone).toBe("UTC");
    expect(notificationPreferencesSchema.safeParse(defaultPreferences({ preferredLanguage: "en", timeZone: "Europe/London" })).success).toBe(true);
  });
});

const at = (iso: string) => Date.parse(iso);
const berlin = (quietHours: NotificationPreferences["quietHours"]) => ({ quietHours, timeZone: "Europe/Berlin" });
const overnight = berlin({ start: "22:00", end: "07:00" });

describe("quiet hours", () => {
  it("holds a message sent in the evening until the window ends the next morning", () => {
    // 21:30Z = 23:30 CEST
    expect(deliverAt(at("2027-06-14T21:30:00Z"), overnight, false)).toBe(at("2027-06-15T05:00:00Z"));
    expect(inQuietHours(at("2027-06-14T21:30:00Z"), overnight)).toBe(true);
  });

  it("holds a message sent after midnight inside an overnight window until the same morning", () => {
    // 00:30Z = 02:30 CEST
    expect(deliverAt(at("2027-06-15T00:30:00Z"), overnight, false)).toBe(at("2027-06-15T05:00:00Z"));
  });

  it("sends at once outside the window, when urgent, or without quiet hours", () => {
    const noon = at("2027-06-15T10:00:00Z");
    expect(deliverAt(noon, overnight, false)).toBe(noon);
    expect(inQuietHours(noon, overnight)).toBe(false);
    const night = at("2027-06-14T23:00:00Z");
    expect(deliverAt(night, overnight, true)).toBe(night);
    expect(deliverAt(night, berlin(null), false)).toBe(night);
    expect(inQuietHours(night, berlin(null))).toBe(false);
  });

  it("treats the start as inside and the end as outside the window", () => {
    const daytime = berlin({ start: "12:00", end: "14:00" });
    expect(deliverAt(at("2027-06-15T10:00:00Z"), daytime, false)).toBe(at("2027-06-15T12:00:00Z")); // 12:00 CEST
    expect(deliverAt(at("2027-06-15T12:00:00Z"), daytime, false)).toBe(at("2027-06-15T12:00:00Z")); // 14:00 CEST
    expect(deliverAt(at("2027-06-15T09:59:59Z"), daytime, false)).toBe(at("2027-06-15T09:59:59Z"));
    expect(deliverAt(at("2027-06-14T20:00:00Z"), overnight, false)).toBe(at("2027-06-15T05:00:00Z")); // 22:00 CEST
    expect(deliverAt(at("2027-06-15T05:00:00Z"), overnight, false)).toBe(at("2027-06-15T05:00:00Z")); // 07:00 CEST
  });

  it("uses the patient's zone, not UTC", () => {
    const newYork = { quietHours: { start: "22:00", end: "07:00" }, timeZone: "America/New_York" };
    // 03:00Z = 23:00 EDT: quiet until 07:00 EDT = 11:00Z; in Berlin 05:00 CEST, also quiet, until 05:00Z.
    expect(deliverAt(at("2027-06-15T03:00:00Z"), newYork, false)).toBe(at("2027-06-15T11:00:00Z"));
    expect(deliverAt(at("2027-06-15T03:00:00Z"), overnight, false)).toBe(at("2027-06-15T05:00:00Z"));
  });

  it("ends the window by the wall clock across DST changes (a 7-hour and a 9-hour night)", () => {
    // Spring forward 2027-03-28 02:00 CET → 03:00 CEST. 23:00 CET → 07:00 CEST.
    expect(deliverAt(at("2027-03-27T22:00:00Z"), overnight, false)).toBe(at("2027-03-28T05:00:00Z"));
    // Fall back 2027-10-31 03:00 CEST → 02:00 CET. 23:00 CEST → 07:00 CET.
    expect(deliverAt(at("2027-10-30T21:00:00Z"), overnight, false)).toBe(at("2027-10-31T06:00:00Z"));
  });

  it("ends a window whose end is shown twice at its next showing", () => {
    const early = berlin({ start: "01:00", end: "02:30" });
    // 00:10Z = 02:10 CEST (first pass): ends at 02:30 CEST = 00:30Z.
    expect(quietUntil(at("2027-10-31T00:10:00Z"), early)).toBe(at("2027-10-31T00:30:00Z"));
    // 01:10Z = 02:10 CET (second pass): ends at 02:30 CET = 01:30Z.
    expect(quietUntil(at("2027-10-31T01:10:00Z"), early)).toBe(at("2027-10-31T01:30:00Z"));
  });

  it("ends a window whose end is skipped by the clock at the jump, consistently with inQuietHours", () => {
    const early = berlin({ start: "01:00", end: "02:30" });
    // 00:30Z = 01:30 CET; 02:30 never happens: at 01:00Z the clock jumps from 02:00 CET to 03:00 CEST.
    const until = deliverAt(at("2027-03-28T00:30:00Z"), early, false);
    expect(until).toBe(at("2027-03-28T01:00:00Z"));
    expect(inQuietHours(until - 60_000, early)).toBe(true);
    expect(inQuietHours(until, early)).toBe(false);
  });
});

describe("quiet hours (property)", () => {
  const zones = ["Europe/Berlin", "Europe/London", "America/New_York", "America/Santiago", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham"];
  const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);

  // Around 2027's DST changes of these zones (approximate instants; ±30 h covers each).
  const changes = ["2027-03-14T07:00:00Z", "2027-03-28T01:00:00Z", "2027-04-03T14:00:00Z", "2027-04-04T03:00:00Z", "2027-09-05T04:00:00Z", "2027-09-25T14:00:00Z", "2027-10-02T15:00:00Z", "2027-10-31T01:00:00Z", "2027-11-07T06:00:00Z"];
  const nearDstChange = fc
    .tuple(fc.constantFrom(...changes.map(at)), fc.integer({ min: -30 * 60, max: 30 * 60 }))
    .map(([change, minutes]) => change + minutes * 60_000);

  it("waits for the next day's end when a DST jump skips the only open minute", () => {
    // London, 28 March 2027: clocks jump from 01:00 GMT to 02:00 BST; quiet all day but 01:00–01:01.
    const prefs = { quietHours: { start: "01:01", end: "01:00" }, timeZone: "Europe/London" };
    const now = at("2027-03-28T00:59:00Z");
    expect(deliverAt(now, prefs, false)).toBe(at("2027-03-29T00:00:00Z")); // 01:00 BST next day
  });

  it("delays exactly the messages inside the window, to the first moment outside it", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: at("2026-01-01T00:00:00Z"), max: at("2028-12-31T00:00:00Z") }), nearDstChange),
        fc.constantFrom(...zones),
        hhmm,
        hhmm,
        (now, timeZone, start, end) => {
          fc.pre(start !== end);
          const prefs = { quietHours: { start, end }, timeZone };
          const when = deliverAt(now, prefs, false);
          expect(deliverAt(now, prefs, true)).toBe(now);
          if (!inQuietHours(now, prefs)) {
            expect(when).toBe(now);
            return;
          }
          expect(when).toBeGreaterThan(now);
          // At most a day and a DST hour — or, where a jump skips the open stretch that would
          // end this window, until the next day's: up to two days (Santiago, 3 Sep 2028, quiet
          // 00:01–00:00: the clock jumps from 00:00 to 01:00, so the open minute comes on the 4th).
          expect(when - now).toBeLessThanOrEqual(49 * 3_600_000);
          expect(inQuietHours(when, prefs)).toBe(false);
          expect(inQuietHours(Math.max(now, when - 60_000), prefs)).toBe(true);
        },
      ),
      { numRuns: 1500 },
    );
  });
});
