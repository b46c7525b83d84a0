import { describe, expect, it } from "vitest";
import { applyUpdate, changesOf, checkExpected, nextUpdatedAt, patchOf } from "@carebook/core/admin/change";
import {
  createClinicSchema,
  createDoctorSchema,
  createTypeSchema,
  deactivateClinicSchema,
  reminderOffsetsSchema,
  typeSettingsSchema,
  updateClinicSchema,
  updateDoctorSchema,
  updateRegionSchema,
  updateTypeSchema,
} from "@carebook/core/admin/schemas";
import type { z } from "zod";

/** Where a value fails, each place once ([] when it passes); the code of an issue on the whole. */
function failures(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value);
  return result.success ? [] : [...new Set(result.error.issues.map((i) => i.path.join(".") || i.code))];
}

const clinic = {
  clinicId: "leeds-north",
  name: "Leeds North",
  timeZone: "Europe/London",
  address: { line1: "1 Park Row", city: "Leeds", postcode: "LS1 5AB", country: "gb" },
  phone: "+44 113 496 0000",
};

const questionnaire = { title: "Before your visit", questions: [{ id: "fever", kind: "yes-no", text: "Fever today?" }] };

describe("clinic schemas", () => {
  it("accepts a clinic and normalises its country code", () => {
    expect(createClinicSchema.parse(clinic).address.country).toBe("GB");
    expect(failures(createClinicSchema, { ...clinic, phone: undefined })).toEqual([]);
  });

  it("rejects a time zone that is not an IANA zone", () => {
    expect(failures(createClinicSchema, { ...clinic, timeZone: "Mars/Olympus_Mons" })).toEqual(["timeZone"]);
    expect(failures(createClinicSchema, { ...clinic, timeZone: "GMT+25" })).toEqual(["timeZone"]);
    expect(failures(createClinicSchema, { ...clinic, timeZone: "America/Argentina/Buenos_Aires" })).toEqual([]);
  });

  it("rejects ids that are no slugs, and the region's reserved audit id", () => {
    for (const clinicId of ["Leeds North", "leeds_north", "-leeds", "leeds-", "x".repeat(65), ""]) {
      expect(failures(createClinicSchema, { ...clinic, clinicId }), clinicId).toEqual(["clinicId"]);
    }
    expect(failures(createClinicSchema, { ...clinic, clinicId: "region" })).toEqual(["clinicId"]);
  });

  it("rejects bad phone numbers, countries, empty names and unknown fields", () => {
    expect(failures(createClinicSchema, { ...clinic, phone: "0113 496 0000" })).toEqual(["phone"]);
    expect(failures(createClinicSchema, { ...clinic, phone: "+44 1" })).toEqual(["phone"]);
    expect(failures(createClinicSchema, { ...clinic, address: { ...clinic.address, country: "GBR" } })).toEqual(["address.country"]);
    expect(failures(createClinicSchema, { ...clinic, name: "   " })).toEqual(["name"]);
    expect(failures(createClinicSchema, { ...clinic, active: false })).toEqual(["unrecognized_keys"]);
  });

  it("updates need at least one field; null clears the phone", () => {
    expect(failures(updateClinicSchema, {})).toEqual(["custom"]);
    expect(failures(updateClinicSchema, { expectedUpdatedAt: "2030-01-01T00:00:00.000Z" })).toEqual(["custom"]);
    expect(updateClinicSchema.parse({ phone: null })).toEqual({ phone: null });
    expect(failures(updateClinicSchema, { timeZone: "Europe/Londn" })).toEqual(["timeZone"]);
    expect(failures(updateClinicSchema, { name: "x", expectedUpdatedAt: "yesterday" })).toEqual(["expectedUpdatedAt"]);
  });

  it("deactivation is not forced unless asked", () => {
    expect(deactivateClinicSchema.parse({})).toEqual({ force: false });
    expect(failures(deactivateClinicSchema, { force: "yes" })).toEqual(["force"]);
  });
});

describe("doctor schemas", () => {
  const doctor = { doctorId: "dr-new", name: "Dr New", clinicIds: ["leeds-north"], skills: ["general-practice"], languages: ["en", "PL"] };

  it("accepts a doctor and lower-cases language tags", () => {
    expect(createDoctorSchema.parse(doctor).languages).toEqual(["en", "pl"]);
  });

  it("accepts only BCP-47 primary language tags, each once", () => {
    expect(failures(createDoctorSchema, { ...doctor, languages: ["english"] })).toEqual(["languages.0"]);
    expect(failures(createDoctorSchema, { ...doctor, languages: ["en-GB"] })).toEqual(["languages.0"]);
    expect(failures(createDoctorSchema, { ...doctor, languages: ["en", "EN"] })).toEqual(["languages"]);
    expect(failures(createDoctorSchema, { ...doctor, languages: [] })).toEqual(["languages"]);
    expect(failures(createDoctorSchema, { ...doctor, languages: ["yue"] })).toEqual([]);
  });

  it("needs at least one clinic (at most 20, distinct) and one skill", () => {
    expect(failures(createDoctorSchema, { ...doctor, clinicIds: [] })).toEqual(["clinicIds"]);
    expect(failures(createDoctorSchema, { ...doctor, clinicIds: ["a", "a"] })).toEqual(["clinicIds"]);
    expect(failures(createDoctorSchema, { ...doctor, clinicIds: Array.from({ length: 21 }, (_, i) => `c${i}`) })).toEqual(["clinicIds"]);
    expect(failures(createDoctorSchema, { ...doctor, skills: [] })).toEqual(["skills"]);
    expect(failures(createDoctorSchema, { ...doctor, skills: ["general practice"] })).toEqual(["skills.0"]);
  });

  it("updates: at least one field; null unlinks the account; availability is not edited here", () => {
    expect(failures(updateDoctorSchema, {})).toEqual(["custom"]);
    expect(updateDoctorSchema.parse({ userSub: null })).toEqual({ userSub: null });
    expect(failures(updateDoctorSchema, { template: {} })).toContain("unrecognized_keys");
  });
});

describe("appointment type schemas", () => {
  const type = { typeId: "physio", name: "Physiotherapy", durationMinutes: 30 };

  it("fills the defaults of a minimal type", () => {
    expect(createTypeSchema.parse(type)).toEqual({
      ...type,
      bufferBeforeMinutes: 0,
      bufferAfterMinutes: 0,
      minimumNoticeMinutes: 0,
      bookingHorizonDays: 365,
      requiresPrescreening: false,
    });
  });

  it("keeps every time on the 5-minute grid and within bounds", () => {
    expect(failures(createTypeSchema, { ...type, durationMinutes: 7 })).toEqual(["durationMinutes"]);
    expect(failures(createTypeSchema, { ...type, durationMinutes: 0 })).toEqual(["durationMinutes"]);
    expect(failures(createTypeSchema, { ...type, durationMinutes: 485 })).toEqual(["durationMinutes"]);
    expect(failures(createTypeSchema, { ...type, bufferAfterMinutes: 3 })).toEqual(["bufferAfterMinutes"]);
    expect(failures(createTypeSchema, { ...type, bufferBeforeMinutes: -5 })).toEqual(["bufferBeforeMinutes"]);
    expect(failures(createTypeSchema, { ...type, minimumNoticeMinutes: 61 })).toEqual(["minimumNoticeMinutes"]);
    expect(failures(createTypeSchema, { ...type, bookingHorizonDays: 0 })).toEqual(["bookingHorizonDays"]);
    expect(failures(createTypeSchema, { ...type, bookingHorizonDays: 1.5 })).toEqual(["bookingHorizonDays"]);
    expect(failures(createTypeSchema, { ...type, durationMinutes: "30" })).toEqual(["durationMinutes"]);
  });

  it("needs the horizon to reach beyond the minimum notice", () => {
    expect(failures(createTypeSchema, { ...type, minimumNoticeMinutes: 2 * 24 * 60, bookingHorizonDays: 2 })).toEqual(["bookingHorizonDays"]);
    expect(failures(createTypeSchema, { ...type, minimumNoticeMinutes: 2 * 24 * 60, bookingHorizonDays: 3 })).toEqual([]);
  });

  it("needs a valid questionnaire when pre-screening is required, and notice beyond its cut-offs", () => {
    expect(failures(createTypeSchema, { ...type, requiresPrescreening: true, minimumNoticeMinutes: 1440 })).toEqual(["prescreening"]);
    const ok = createTypeSchema.parse({ ...type, requiresPrescreening: true, minimumNoticeMinutes: 1440, prescreening: { questionnaire } });
    expect(ok.prescreening).toMatchObject({ answerCutoffMinutes: 120, decisionCutoffMinutes: 60, decisionSlaMinutes: 240 });
    // The default answer cut-off (2 h) leaves no time to answer a booking made 1 h ahead.
    expect(failures(createTypeSchema, { ...type, requiresPrescreening: true, minimumNoticeMinutes: 60, prescreening: { questionnaire } })).toEqual([
      "minimumNoticeMinutes",
    ]);
    expect(
      failures(createTypeSchema, {
        ...type,
        requiresPrescreening: true,
        minimumNoticeMinutes: 1440,
        prescreening: { questionnaire: { title: "Q", questions: [questionnaire.questions[0], questionnaire.questions[0]] } },
      }),
    ).toEqual(["prescreening.questionnaire.questions"]);
    expect(failures(createTypeSchema, { ...type, prescreening: { questionnaire, decisionSlaMinutes: 1 } })).toEqual([
      "prescreening.decisionSlaMinutes",
    ]);
  });

  it("checks an update only as far as its own fields; the whole type is checked after merging", () => {
    expect(failures(updateTypeSchema, {})).toEqual(["custom"]);
    expect(failures(updateTypeSchema, { requiresPrescreening: true })).toEqual([]);
    expect(failures(updateTypeSchema, { durationMinutes: 12 })).toEqual(["durationMinutes"]);
    expect(updateTypeSchema.parse({ requiredSkill: null, reminderOffsetsMinutes: null })).toEqual({ requiredSkill: null, reminderOffsetsMinutes: null });
    const stored = typeSettingsSchema.parse({ ...createTypeSchema.parse(type) });
    const merged = applyUpdate(stored, updateTypeSchema.parse({ requiresPrescreening: true }), ["requiresPrescreening"]);
    expect(failures(typeSettingsSchema, merged)).toEqual(["prescreening"]);
  });
});

describe("reminder offsets", () => {
  it("are positive whole minutes, distinct, at most 14 days, stored latest first", () => {
    expect(reminderOffsetsSchema.parse([120, 1440, 30])).toEqual([1440, 120, 30]);
    expect(reminderOffsetsSchema.parse([])).toEqual([]);
    expect(failures(reminderOffsetsSchema, [120, 120])).toEqual(["custom"]);
    expect(failures(reminderOffsetsSchema, [0])).toEqual(["0"]);
    expect(failures(reminderOffsetsSchema, [-60])).toEqual(["0"]);
    expect(failures(reminderOffsetsSchema, [14 * 24 * 60])).toEqual([]);
    expect(failures(reminderOffsetsSchema, [14 * 24 * 60 + 1])).toEqual(["0"]);
    expect(failures(reminderOffsetsSchema, [90.5])).toEqual(["0"]);
    expect(failures(reminderOffsetsSchema, Array.from({ length: 11 }, (_, i) => (i + 1) * 60))).toEqual(["too_big"]);
  });
});

describe("region settings schema", () => {
  it("bounds the retention to 1..3650 days and checks the zone", () => {
    expect(updateRegionSchema.parse({ retentionDays: 1 })).toEqual({ retentionDays: 1 });
    expect(updateRegionSchema.parse({ retentionDays: 3650 })).toEqual({ retentionDays: 3650 });
    expect(failures(updateRegionSchema, { retentionDays: 0 })).toEqual(["retentionDays"]);
    expect(failures(updateRegionSchema, { retentionDays: 3651 })).toEqual(["retentionDays"]);
    expect(failures(updateRegionSchema, { retentionDays: 30.5 })).toEqual(["retentionDays"]);
    expect(failures(updateRegionSchema, { defaultTimeZone: "Nowhere/Land" })).toEqual(["defaultTimeZone"]);
    expect(failures(updateRegionSchema, { reminderOffsetsMinutes: [60, 60] })).toEqual(["reminderOffsetsMinutes"]);
    expect(failures(updateRegionSchema, { awsRegion: "us-east-1" })).toEqual(["unrecognized_keys", "custom"]);
    expect(failures(updateRegionSchema, {})).toEqual(["custom"]);
  });
});

describe("changes and their audit", () => {
  const current = { name: "A", address: { city: "Leeds", line1: "1" }, phone: "+44 113 496 0000" as string | undefined, updatedAt: undefined as string | undefined };
  const fields = ["name", "address", "phone"] as const;

  it("records only the fields whose value changes (deeply, whatever the key order)", () => {
    const next = applyUpdate(current, { name: "A", address: { line1: "1", city: "Leeds" }, phone: null }, fields);
    const change = changesOf(current, next, fields);
    expect(change).toEqual({ fields: ["phone"], before: { phone: "+44 113 496 0000" }, after: { phone: undefined } });
    expect(patchOf(change)).toEqual({ set: {}, remove: ["phone"] });
    const renamed = changesOf(current, applyUpdate(current, { name: "B" }, fields), fields);
    expect(patchOf(renamed)).toEqual({ set: { name: "B" }, remove: [] });
  });

  it("moves updatedAt forward on every write, even within one millisecond", () => {
    const now = Date.parse("2030-01-01T00:00:00.000Z");
    expect(nextUpdatedAt(undefined, now)).toBe("2030-01-01T00:00:00.000Z");
    expect(nextUpdatedAt("2030-01-01T00:00:00.000Z", now)).toBe("2030-01-01T00:00:00.001Z");
    expect(nextUpdatedAt("2029-12-31T00:00:00.000Z", now)).toBe("2030-01-01T00:00:00.000Z");
  });

  it("refuses an update made on another state of the item than the stored one (409)", () => {
    expect(() => checkExpected({ updatedAt: "2030-01-01T00:00:00.000Z" }, undefined)).not.toThrow();
    expect(() => checkExpected({ updatedAt: "2030-01-01T00:00:00.000Z" }, "2030-01-01T00:00:00Z")).not.toThrow();
    expect(() => checkExpected({ updatedAt: "2030-01-01T00:00:00.001Z" }, "2030-01-01T00:00:00.000Z")).toThrow(
      expect.objectContaining({ status: 409, code: "CHANGED_MEANWHILE" }),
    );
    expect(() => checkExpected({}, "2030-01-01T00:00:00.000Z")).toThrow(expect.objectContaining({ status: 409 }));
  });
});
