/**
 * Administrators manage the catalog — clinics, doctors, appointment types, the region's
 * settings — against the shared local runtime: validation (400), duplicates and stranded
 * bookings (409), audit entries written with each change (and chained), and what patients see
 * afterwards (GET /api/clinics, GET /api/appointments/types, slot search). Deactivated clinics,
 * doctors and types come back with reactivation and are booked again; a doctor leaving a clinic
 * with `reassign` has their bookings moved (or their patients asked to choose).
 *
 * Every clinic, doctor and type here is this file's own (random ids, a skill no demo doctor
 * has), so the demo catalog other files book against is never touched; the region's settings
 * are only renamed and renamed back.
 */
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyChains } from "@carebook/core/audit/verify";
import { DateTime } from "luxon";
import { api, newPatient, signIn, testDb, weekdayAhead, type ApiResponse } from "./harness";

const DAY = weekdayAhead(15, 2); // this file's own Tuesday (London date; Berlin's too)
const OTHER_DAY = weekdayAhead(16, 3);
const ADMIN_SUB = "demo-admin";

let admin: string;
let patient: Awaited<ReturnType<typeof newPatient>>;

beforeAll(async () => {
  admin = await signIn("admin@demo.carebook.test");
  patient = await newPatient("Catalog Patient");
});

const uniqueId = (kind: string) => `t-${kind}-${randomUUID()}`;

function expectStatus(res: ApiResponse, status: number) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
}

function expectError(res: ApiResponse, status: number, code: string) {
  expectStatus(res, status);
  expect(res.body.error.code).toBe(code);
}

/** A 400 naming `field` among its issues. */
function expectInvalid(res: ApiResponse, field: string) {
  expectError(res, 400, "VALIDATION_FAILED");
  expect(res.body.error.details.map((d: { path: string }) => d.path), JSON.stringify(res.body)).toContain(field);
}

const asAdmin = (method: string, path: string, body?: unknown) => api(method, path, { token: admin, body });

const clinicBody = (clinicId = uniqueId("clinic")) => ({
  clinicId,
  name: `Test Clinic ${clinicId.slice(-6)}`,
  timeZone: "Europe/Berlin",
  address: { line1: "Unter den Linden 1", city: "Berlin", postcode: "10117", country: "de" },
  phone: "+49 30 1234567",
});

async function createClinic(body = clinicBody()) {
  const res = await asAdmin("POST", "/api/admin/clinics", body);
  expectStatus(res, 201);
  return res.body as { id: string; updatedAt: string };
}

async function createType(extra: Record<string, unknown> = {}) {
  const typeId = uniqueId("type");
  const res = await asAdmin("POST", "/api/admin/types", {
    typeId,
    name: `Test type ${typeId.slice(-6)}`,
    durationMinutes: 20,
    bufferAfterMinutes: 5,
    minimumNoticeMinutes: 60,
    ...extra,
  });
  expectStatus(res, 201);
  return res.body as { id: string; updatedAt: string };
}

async function createDoctor(clinicIds: string[], extra: Record<string, unknown> = {}) {
  const doctorId = uniqueId("doctor");
  const res = await asAdmin("POST", "/api/admin/doctors", { doctorId, name: `Dr ${doctorId.slice(-6)}`, clinicIds, skills: ["test-skill"], languages: ["en"], ...extra });
  expectStatus(res, 201);
  return res.body as { id: string; updatedAt: string };
}

/** A clinic, a type needing a skill of this file's only, and one doctor with it, working
 * Tue–Wed mornings (availability is set outside these routes, so directly in the table). */
async function bookableSetup() {
  const skill = `skill-${randomUUID().slice(0, 8)}`;
  const clinic = await createClinic();
  const type = await createType({ requiredSkill: skill });
  const doctor = await createDoctor([clinic.id], { skills: [skill] });
  const morning = [{ start: "09:00", end: "12:00" }];
  await testDb()
    .doctor.patch({ doctorId: doctor.id })
    .set({ template: { mon: [], tue: morning, wed: morning, thu: [], fri: [], sat: [], sun: [] } })
    .go();
  return { clinicId: clinic.id, typeId: type.id, doctorId: doctor.id, skill };
}

function slotSearch(setup: { clinicId: string; typeId: string }, day = DAY) {
  return api("GET", `/api/appointments/available-slots?${new URLSearchParams({ typeId: setup.typeId, clinicId: setup.clinicId, from: day, to: day })}`, {
    token: patient.token,
  });
}

/** The first slot of DAY, booked by a patient of its own. */
async function bookFirstSlot(setup: { clinicId: string; typeId: string }) {
  const slots = await slotSearch(setup);
  expectStatus(slots, 200);
  expect(slots.body.slots.length).toBeGreaterThan(0);
  const booker = await newPatient("Catalog Booker");
  const res = await api("POST", "/api/appointments", {
    token: booker.token,
    body: { typeId: setup.typeId, clinicId: setup.clinicId, start: slots.body.slots[0].start },
  });
  expectStatus(res, 201);
  return { ...(res.body as { id: string; start: string; status: string }), token: booker.token };
}

/** The audit entries of a subject, oldest first, straight from the table. */
async function auditOf(subjectType: string, subjectId: string) {
  const { data } = await testDb().auditEntry.query.bySubject({ subjectType, subjectId }).go({ pages: "all", consistent: true });
  return data;
}

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ids = (list: Array<{ id: string }>) => list.map((x) => x.id);

// ---------------------------------------------------------------------------------------

describe("clinics", () => {
  it("creates a clinic that everyone sees, grants it to its creator, audits it, and refuses its id again (409)", async () => {
    const body = clinicBody();
    const created = await asAdmin("POST", "/api/admin/clinics", body);
    expectStatus(created, 201);
    expect(created.body).toMatchObject({
      id: body.clinicId,
      name: body.name,
      timeZone: "Europe/Berlin",
      address: { ...body.address, country: "DE" },
      phone: body.phone,
      active: true,
      updatedAt: expect.any(String),
    });

    expect(ids((await api("GET", "/api/clinics", { token: patient.token })).body.clinics)).toContain(body.clinicId);
    expect(ids((await asAdmin("GET", "/api/admin/clinics")).body.clinics)).toContain(body.clinicId);
    const { data: staff } = await testDb().staffMember.get({ sub: ADMIN_SUB }).go();
    expect(staff!.clinicIds).toContain(body.clinicId);

    expectError(await asAdmin("POST", "/api/admin/clinics", { ...body, name: "Another" }), 409, "CLINIC_EXISTS");

    // The creator reaches the new clinic's audit trail at once (their staff record has it).
    const audit = await asAdmin("GET", `/api/admin/appointments/audit?clinicId=${body.clinicId}`);
    expectStatus(audit, 200);
    expect(audit.body.items).toEqual([
      expect.objectContaining({
        subjectType: "clinic",
        subjectId: body.clinicId,
        clinicId: body.clinicId,
        action: "clinic.created",
        actorId: ADMIN_SUB,
        actorRole: "admin",
        details: expect.objectContaining({ after: expect.objectContaining({ name: body.name, timeZone: "Europe/Berlin", active: true }), grantedTo: ADMIN_SUB }),
      }),
    ]);
  });

  it("answers invalid clinics with 400 naming the field", async () => {
    expectInvalid(await asAdmin("POST", "/api/admin/clinics", { ...clinicBody(), timeZone: "Mars/Olympus_Mons" }), "timeZone");
    expectInvalid(await asAdmin("POST", "/api/admin/clinics", { ...clinicBody(), clinicId: "region" }), "clinicId");
    expectInvalid(await asAdmin("POST", "/api/admin/clinics", { ...clinicBody(), clinicId: "Not A Slug" }), "clinicId");
    expectInvalid(await asAdmin("POST", "/api/admin/clinics", { ...clinicBody(), phone: "12345" }), "phone");
    expectInvalid(await asAdmin("POST", "/api/admin/clinics", { ...clinicBody(), address: { line1: "x", city: "y", postcode: "z" } }), "address.country");
    expectError(await asAdmin("POST", "/api/admin/clinics", { ...clinicBody(), active: false }), 400, "VALIDATION_FAILED");
    expectError(await api("POST", "/api/admin/clinics", { token: admin, rawBody: "{oops", headers: { "content-type": "application/json" } }), 400, "MALFORMED_JSON");
  });

  it("updates conditionally, auditing before and after of the changed fields only", async () => {
    const clinic = await createClinic();
    const path = `/api/admin/clinics/${clinic.id}`;

    const updated = await asAdmin("PUT", path, { name: "Renamed Clinic", timeZone: "Europe/Paris", phone: null, expectedUpdatedAt: clinic.updatedAt });
    expectStatus(updated, 200);
    expect(updated.body.changed).toEqual(["name", "timeZone", "phone"]);
    expect(updated.body.clinic).toMatchObject({ id: clinic.id, name: "Renamed Clinic", timeZone: "Europe/Paris", active: true });
    expect(updated.body.clinic.phone).toBeUndefined();
    expect(updated.body.clinic.updatedAt > clinic.updatedAt).toBe(true);

    // Edited from a stale view: 409, nothing written.
    expectError(await asAdmin("PUT", path, { name: "Stale edit", expectedUpdatedAt: clinic.updatedAt }), 409, "CHANGED_MEANWHILE");
    // The same values again: nothing changes, nothing is audited.
    const same = await asAdmin("PUT", path, { name: "Renamed Clinic" });
    expectStatus(same, 200);
    expect(same.body.changed).toEqual([]);

    expectInvalid(await asAdmin("PUT", path, { timeZone: "Europe/Atlantis" }), "timeZone");
    expectError(await asAdmin("PUT", path, {}), 400, "VALIDATION_FAILED");
    expectError(await asAdmin("PUT", `/api/admin/clinics/${uniqueId("clinic")}`, { name: "Not mine" }), 403, "NOT_YOUR_CLINIC");

    const entries = await auditOf("clinic", clinic.id);
    expect(entries.map((e) => e.action)).toEqual(["clinic.created", "clinic.updated"]);
    expect(entries[1]!.details).toEqual({
      before: { name: expect.any(String), timeZone: "Europe/Berlin", phone: "+49 30 1234567" },
      after: { name: "Renamed Clinic", timeZone: "Europe/Paris" },
    });
    const { data: stored } = await testDb().clinic.get({ clinicId: clinic.id }).go();
    expect(stored).toMatchObject({ name: "Renamed Clinic", timeZone: "Europe/Paris", updatedAt: updated.body.clinic.updatedAt });
    expect(stored!.phone).toBeUndefined();
  });

  it("refuses to deactivate a clinic with future bookings (409 listing them) unless forced; then it leaves the catalog", async () => {
    const setup = await bookableSetup();
    const booking = await bookFirstSlot(setup);
    const path = `/api/admin/clinics/${setup.clinicId}/deactivate`;

    const refused = await asAdmin("POST", path, {});
    expectError(refused, 409, "CLINIC_HAS_BOOKINGS");
    expect(refused.body.error.details).toEqual({
      clinicId: setup.clinicId,
      count: 1,
      appointments: [{ id: booking.id, start: booking.start, clinicId: setup.clinicId, status: "booked" }],
    });
    expect(ids((await api("GET", "/api/clinics", { token: patient.token })).body.clinics)).toContain(setup.clinicId);

    const forced = await asAdmin("POST", path, { force: true });
    expectStatus(forced, 200);
    expect(forced.body).toMatchObject({ changed: true, clinic: { id: setup.clinicId, active: false }, futureBookings: { count: 1 } });

    expect(ids((await api("GET", "/api/clinics", { token: patient.token })).body.clinics)).not.toContain(setup.clinicId);
    const adminList = (await asAdmin("GET", "/api/admin/clinics")).body.clinics;
    expect(adminList.find((c: { id: string }) => c.id === setup.clinicId)).toMatchObject({ active: false });
    expectError(await slotSearch(setup), 404, "NOT_FOUND");
    // The booking itself stays: the patient still has it.
    const kept = await api("GET", `/api/appointments/${booking.id}`, { token: booking.token });
    expect(kept.body.status).toBe("booked");

    const again = await asAdmin("POST", path, {});
    expectStatus(again, 200);
    expect(again.body).toMatchObject({ changed: false, futureBookings: { count: 1 } });

    const entries = await auditOf("clinic", setup.clinicId);
    expect(entries.map((e) => e.action)).toEqual(["clinic.created", "clinic.deactivated"]);
    expect(entries[1]!.details).toEqual({
      before: { active: true },
      after: { active: false },
      force: true,
      futureBookings: { count: 1, appointmentIds: [booking.id] },
    });

    // A doctor can no longer be placed there.
    expectError(await asAdmin("POST", "/api/admin/doctors", { doctorId: uniqueId("doctor"), name: "Dr Late", clinicIds: [setup.clinicId], skills: ["x"], languages: ["en"] }), 422, "CLINIC_NOT_ACTIVE");
  });
});

describe("doctors", () => {
  it("creates a doctor at the admin's clinic with no availability yet; refuses duplicates, foreign clinics, bad input", async () => {
    const clinic = await createClinic();
    const doctorId = uniqueId("doctor");
    const body = { doctorId, name: "Dr Test", clinicIds: [clinic.id], skills: ["general-practice"], languages: ["en", "DE"] };
    const created = await asAdmin("POST", "/api/admin/doctors", body);
    expectStatus(created, 201);
    expect(created.body).toMatchObject({ id: doctorId, clinicIds: [clinic.id], languages: ["en", "de"], skills: ["general-practice"], active: true });
    const { data: stored } = await testDb().doctor.get({ doctorId }).go();
    expect(Object.values(stored!.template as Record<string, unknown[]>).every((day) => day.length === 0)).toBe(true);

    expect(ids((await asAdmin("GET", `/api/admin/doctors?clinicId=${clinic.id}`)).body.doctors)).toEqual([doctorId]);
    expect(ids((await asAdmin("GET", "/api/admin/doctors")).body.doctors)).toEqual(expect.arrayContaining([doctorId, "amelia-hughes"]));

    expectError(await asAdmin("POST", "/api/admin/doctors", body), 409, "DOCTOR_EXISTS");
    expectError(await asAdmin("POST", "/api/admin/doctors", { ...body, doctorId: uniqueId("doctor"), clinicIds: [uniqueId("clinic")] }), 403, "NOT_YOUR_CLINIC");
    expectInvalid(await asAdmin("POST", "/api/admin/doctors", { ...body, doctorId: uniqueId("doctor"), languages: ["english"] }), "languages.0");
    expectInvalid(await asAdmin("POST", "/api/admin/doctors", { ...body, doctorId: uniqueId("doctor"), skills: ["a", "a"] }), "skills");
    expectInvalid(await asAdmin("POST", "/api/admin/doctors", { ...body, doctorId: uniqueId("doctor"), clinicIds: [] }), "clinicIds");
    expectError(await asAdmin("POST", "/api/admin/doctors", { ...body, doctorId: uniqueId("doctor"), userSub: "nobody-at-all" }), 422, "NOT_A_DOCTOR_ACCOUNT");
    expectError(await asAdmin("POST", "/api/admin/doctors", { ...body, doctorId: uniqueId("doctor"), userSub: "demo-doctor" }), 409, "ACCOUNT_ALREADY_LINKED");

    const audit = await asAdmin("GET", `/api/admin/appointments/audit?clinicId=${clinic.id}`);
    expect(audit.body.items.map((i: { action: string; subjectId: string }) => [i.action, i.subjectId])).toEqual([
      ["doctor.created", doctorId],
      ["clinic.created", clinic.id],
    ]);
  });

  it("updates a doctor, with one audit entry per clinic concerned", async () => {
    const [a, b] = [await createClinic(), await createClinic()];
    const doctor = await createDoctor([a.id]);
    const path = `/api/admin/doctors/${doctor.id}`;

    const res = await asAdmin("PUT", path, { languages: ["en", "nl"], clinicIds: [a.id, b.id], expectedUpdatedAt: doctor.updatedAt });
    expectStatus(res, 200);
    expect(res.body.changed).toEqual(["clinicIds", "languages"]);
    expect(res.body.doctor).toMatchObject({ clinicIds: [a.id, b.id], languages: ["en", "nl"] });

    const updates = (await auditOf("doctor", doctor.id)).filter((e) => e.action === "doctor.updated");
    expect(updates.map((e) => e.clinicId).sort()).toEqual([a.id, b.id].sort());
    for (const entry of updates) {
      expect(entry.details).toEqual({ before: { clinicIds: [a.id], languages: ["en"] }, after: { clinicIds: [a.id, b.id], languages: ["en", "nl"] } });
    }

    expectError(await asAdmin("PUT", path, { name: "Stale", expectedUpdatedAt: doctor.updatedAt }), 409, "CHANGED_MEANWHILE");
    expectInvalid(await asAdmin("PUT", path, { languages: ["en-GB"] }), "languages.0");
    expectError(await asAdmin("PUT", path, { template: {} }), 400, "VALIDATION_FAILED");
    expectError(await asAdmin("PUT", `/api/admin/doctors/${uniqueId("doctor")}`, { name: "Nobody" }), 404, "NOT_FOUND");
    // Joining a clinic that is not the admin's: 403.
    expectError(await asAdmin("PUT", path, { clinicIds: [a.id, uniqueId("clinic")] }), 403, "NOT_YOUR_CLINIC");
  });

  it("refuses to deactivate a doctor with future bookings (409 DOCTOR_HAS_BOOKINGS); deactivates once there are none", async () => {
    const setup = await bookableSetup();
    const booking = await bookFirstSlot(setup);
    const path = `/api/admin/doctors/${setup.doctorId}/deactivate`;

    const refused = await asAdmin("POST", path, {});
    expectError(refused, 409, "DOCTOR_HAS_BOOKINGS");
    expect(refused.body.error.details).toEqual({
      doctorId: setup.doctorId,
      count: 1,
      appointments: [{ id: booking.id, start: booking.start, clinicId: setup.clinicId, status: "booked" }],
    });
    // Taking away the skill the booking needs would strand it too.
    expectError(await asAdmin("PUT", `/api/admin/doctors/${setup.doctorId}`, { skills: ["something-else"] }), 409, "DOCTOR_HAS_BOOKINGS");
    // A change that strands nothing goes through.
    expectStatus(await asAdmin("PUT", `/api/admin/doctors/${setup.doctorId}`, { skills: [setup.skill, "something-else"] }), 200);

    expectStatus(await api("POST", `/api/appointments/${booking.id}/cancel`, { token: booking.token, body: { reason: "test" } }), 200);
    const done = await asAdmin("POST", path, {});
    expectStatus(done, 200);
    expect(done.body).toMatchObject({ changed: true, doctor: { id: setup.doctorId, active: false } });

    // Their only doctor gone, the type has no slots at the clinic any more.
    const slots = await slotSearch(setup);
    expectStatus(slots, 200);
    expect(slots.body.slots).toEqual([]);

    const entries = await auditOf("doctor", setup.doctorId);
    expect(entries.map((e) => [e.action, e.clinicId])).toEqual([
      ["doctor.created", setup.clinicId],
      ["doctor.updated", setup.clinicId],
      ["doctor.deactivated", setup.clinicId],
    ]);
  });
});

describe("appointment types", () => {
  const questionnaire = { title: "Before your visit", questions: [{ id: "fever", kind: "yes-no", text: "Do you have a fever?" }] };

  it("creates a type that patients see; refuses its id again (409); audits it on the region's chain", async () => {
    const type = await createType({ description: "A test type", reminderOffsetsMinutes: [60, 1440] });
    const listed = (await api("GET", "/api/appointments/types", { token: patient.token })).body.types;
    expect(listed.find((t: { id: string }) => t.id === type.id)).toMatchObject({ durationMinutes: 20, bufferAfterMinutes: 5, requiresPrescreening: false });
    const adminView = (await asAdmin("GET", "/api/admin/types")).body.types.find((t: { id: string }) => t.id === type.id);
    expect(adminView).toMatchObject({ reminderOffsetsMinutes: [1440, 60], active: true });

    expectError(await asAdmin("POST", "/api/admin/types", { typeId: type.id, name: "Again", durationMinutes: 10 }), 409, "TYPE_EXISTS");

    const [entry] = await auditOf("appointmentType", type.id);
    expect(entry).toMatchObject({ clinicId: "region", action: "appointmentType.created", actorId: ADMIN_SUB });
    expect(entry!.details).toMatchObject({ after: { typeId: type.id, durationMinutes: 20, reminderOffsetsMinutes: [1440, 60], active: true } });
  });

  it("answers invalid types with 400 naming the field", async () => {
    const base = { typeId: uniqueId("type"), name: "Bad", durationMinutes: 20 };
    expectInvalid(await asAdmin("POST", "/api/admin/types", { ...base, durationMinutes: 7 }), "durationMinutes");
    expectInvalid(await asAdmin("POST", "/api/admin/types", { ...base, bufferBeforeMinutes: 500 }), "bufferBeforeMinutes");
    expectInvalid(await asAdmin("POST", "/api/admin/types", { ...base, requiresPrescreening: true, minimumNoticeMinutes: 1440 }), "prescreening");
    expectInvalid(
      await asAdmin("POST", "/api/admin/types", { ...base, requiresPrescreening: true, minimumNoticeMinutes: 1440, prescreening: { questionnaire: { title: "Q", questions: [] } } }),
      "prescreening.questionnaire.questions",
    );
    expectInvalid(
      await asAdmin("POST", "/api/admin/types", { ...base, requiresPrescreening: true, minimumNoticeMinutes: 60, prescreening: { questionnaire } }),
      "minimumNoticeMinutes",
    );
    expectInvalid(await asAdmin("POST", "/api/admin/types", { ...base, reminderOffsetsMinutes: [60, 60] }), "reminderOffsetsMinutes");
    expectInvalid(await asAdmin("POST", "/api/admin/types", { ...base, reminderOffsetsMinutes: [15 * 24 * 60] }), "reminderOffsetsMinutes.0");
    expectInvalid(await asAdmin("POST", "/api/admin/types", { ...base, typeId: "Bad Id" }), "typeId");
    expect((await asAdmin("GET", "/api/admin/types")).body.types.map((t: { id: string }) => t.id)).not.toContain(base.typeId);
  });

  it("updates a type when the whole type stays valid, auditing before and after", async () => {
    const type = await createType();
    const path = `/api/admin/types/${type.id}`;

    const res = await asAdmin("PUT", path, { durationMinutes: 30, bufferAfterMinutes: 10, expectedUpdatedAt: type.updatedAt });
    expectStatus(res, 200);
    expect(res.body.changed).toEqual(["durationMinutes", "bufferAfterMinutes"]);

    // Pre-screening needs a questionnaire and enough notice — given or stored.
    expectInvalid(await asAdmin("PUT", path, { requiresPrescreening: true }), "prescreening");
    expectInvalid(await asAdmin("PUT", path, { requiresPrescreening: true, prescreening: { questionnaire } }), "minimumNoticeMinutes");
    const screened = await asAdmin("PUT", path, { requiresPrescreening: true, prescreening: { questionnaire }, minimumNoticeMinutes: 1440 });
    expectStatus(screened, 200);
    expect(screened.body.type.prescreening).toMatchObject({ questionnaire: { title: "Before your visit" }, answerCutoffMinutes: 120 });
    // …and stays needed while pre-screening is on.
    expectInvalid(await asAdmin("PUT", path, { prescreening: null }), "prescreening");

    expectError(await asAdmin("PUT", path, { name: "Stale", expectedUpdatedAt: type.updatedAt }), 409, "CHANGED_MEANWHILE");
    expectError(await asAdmin("PUT", `/api/admin/types/${uniqueId("type")}`, { name: "Nothing" }), 404, "NOT_FOUND");

    const entries = await auditOf("appointmentType", type.id);
    expect(entries.map((e) => e.action)).toEqual(["appointmentType.created", "appointmentType.updated", "appointmentType.updated"]);
    expect(entries[1]!.details).toEqual({ before: { durationMinutes: 20, bufferAfterMinutes: 5 }, after: { durationMinutes: 30, bufferAfterMinutes: 10 } });
    expect(entries[2]!.details).toMatchObject({
      before: { minimumNoticeMinutes: 60, requiresPrescreening: false },
      after: { minimumNoticeMinutes: 1440, requiresPrescreening: true, prescreening: expect.objectContaining({ questionnaire: expect.any(Object) }) },
    });
  });

  it("a deactivated type leaves the catalog and slot search", async () => {
    const setup = await bookableSetup();
    const before = await slotSearch(setup);
    expectStatus(before, 200);
    expect(before.body.slots.length).toBeGreaterThan(0);

    const res = await asAdmin("POST", `/api/admin/types/${setup.typeId}/deactivate`, {});
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ changed: true, type: { id: setup.typeId, active: false } });

    expect(ids((await api("GET", "/api/appointments/types", { token: patient.token })).body.types)).not.toContain(setup.typeId);
    expectError(await slotSearch(setup), 404, "NOT_FOUND");
    expectError(await slotSearch(setup, OTHER_DAY), 404, "NOT_FOUND");
    const booked = await api("POST", "/api/appointments", { token: patient.token, body: { typeId: setup.typeId, clinicId: setup.clinicId, start: before.body.slots[0].start } });
    expectStatus(booked, 404);
    expect((await asAdmin("POST", `/api/admin/types/${setup.typeId}/deactivate`, {})).body.changed).toBe(false);

    const entries = await auditOf("appointmentType", setup.typeId);
    expect(entries.map((e) => e.action)).toEqual(["appointmentType.created", "appointmentType.deactivated"]);
  });
});

describe("reactivation", () => {
  /** Deactivates what `path` names (200), then reactivates it: the answer. */
  async function deactivated(path: string) {
    expectStatus(await asAdmin("POST", `${path}/deactivate`, {}), 200);
  }

  /** Slots are offered again, and a patient books one. */
  async function expectBookableAgain(setup: { clinicId: string; typeId: string; doctorId: string }) {
    const booking = await bookFirstSlot(setup);
    expect(booking.status).toBe("booked");
    const seen = await api("GET", `/api/appointments/${booking.id}`, { token: booking.token });
    expect(seen.body.doctor.id).toBe(setup.doctorId);
  }

  it("brings a clinic back into the catalog: patients find it and book there again; idempotent, audited", async () => {
    const setup = await bookableSetup();
    const path = `/api/admin/clinics/${setup.clinicId}`;
    await deactivated(path);
    expectError(await slotSearch(setup), 404, "NOT_FOUND");

    const res = await asAdmin("POST", `${path}/reactivate`, {});
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ changed: true, clinic: { id: setup.clinicId, active: true } });
    expect(ids((await api("GET", "/api/clinics", { token: patient.token })).body.clinics)).toContain(setup.clinicId);
    await expectBookableAgain(setup);

    const again = await asAdmin("POST", `${path}/reactivate`, {});
    expectStatus(again, 200);
    expect(again.body).toMatchObject({ changed: false, clinic: { active: true, updatedAt: res.body.clinic.updatedAt } });

    const entries = await auditOf("clinic", setup.clinicId);
    expect(entries.map((e) => e.action)).toEqual(["clinic.created", "clinic.deactivated", "clinic.reactivated"]);
    expect(entries[2]!.details).toEqual({ before: { active: false }, after: { active: true } });

    expectError(await asAdmin("POST", `${path}/reactivate`, { force: true }), 400, "VALIDATION_FAILED");
    // Clinics are reached through the admin's own (as for deactivation): an unknown one is not theirs.
    expectError(await asAdmin("POST", `/api/admin/clinics/${uniqueId("clinic")}/reactivate`, {}), 403, "NOT_YOUR_CLINIC");
  });

  it("brings a doctor back: their times are offered and booked again; idempotent, audited per clinic", async () => {
    const setup = await bookableSetup();
    const path = `/api/admin/doctors/${setup.doctorId}`;
    await deactivated(path);
    expect((await slotSearch(setup)).body.slots).toEqual([]);

    const res = await asAdmin("POST", `${path}/reactivate`, {});
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ changed: true, doctor: { id: setup.doctorId, active: true } });
    await expectBookableAgain(setup);
    expect((await asAdmin("POST", `${path}/reactivate`, {})).body).toMatchObject({ changed: false, doctor: { active: true } });

    const entries = await auditOf("doctor", setup.doctorId);
    expect(entries.map((e) => [e.action, e.clinicId])).toEqual([
      ["doctor.created", setup.clinicId],
      ["doctor.deactivated", setup.clinicId],
      ["doctor.reactivated", setup.clinicId],
    ]);
    expect(entries[2]!.details).toEqual({ before: { active: false }, after: { active: true }, activeClinicIds: [setup.clinicId] });
    expectError(await asAdmin("POST", `/api/admin/doctors/${uniqueId("doctor")}/reactivate`, {}), 404, "NOT_FOUND");
  });

  it("refuses a doctor whose clinics are all inactive (409 DOCTOR_HAS_NO_ACTIVE_CLINIC), until one is active again", async () => {
    const clinic = await createClinic();
    const doctor = await createDoctor([clinic.id]);
    await deactivated(`/api/admin/doctors/${doctor.id}`);
    await deactivated(`/api/admin/clinics/${clinic.id}`);

    const refused = await asAdmin("POST", `/api/admin/doctors/${doctor.id}/reactivate`, {});
    expectError(refused, 409, "DOCTOR_HAS_NO_ACTIVE_CLINIC");
    expect(refused.body.error.details).toEqual({ doctorId: doctor.id, inactiveClinicIds: [clinic.id] });
    expect(refused.body.error.message).toMatch(/inactive/);
    const { data: still } = await testDb().doctor.get({ doctorId: doctor.id }).go({ consistent: true });
    expect(still!.active).toBe(false);

    expectStatus(await asAdmin("POST", `/api/admin/clinics/${clinic.id}/reactivate`, {}), 200);
    const res = await asAdmin("POST", `/api/admin/doctors/${doctor.id}/reactivate`, {});
    expectStatus(res, 200);
    expect(res.body.doctor.active).toBe(true);
  });

  it("brings a type back: slot search and booking offer it again; idempotent, audited", async () => {
    const setup = await bookableSetup();
    const path = `/api/admin/types/${setup.typeId}`;
    await deactivated(path);
    expectError(await slotSearch(setup), 404, "NOT_FOUND");

    const res = await asAdmin("POST", `${path}/reactivate`, {});
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ changed: true, type: { id: setup.typeId, active: true } });
    expect(ids((await api("GET", "/api/appointments/types", { token: patient.token })).body.types)).toContain(setup.typeId);
    await expectBookableAgain(setup);
    expect((await asAdmin("POST", `${path}/reactivate`, {})).body).toMatchObject({ changed: false });

    const entries = await auditOf("appointmentType", setup.typeId);
    expect(entries.map((e) => [e.action, e.clinicId])).toEqual([
      ["appointmentType.created", "region"],
      ["appointmentType.deactivated", "region"],
      ["appointmentType.reactivated", "region"],
    ]);
    expectError(await asAdmin("POST", `/api/admin/types/${uniqueId("type")}/reactivate`, {}), 404, "NOT_FOUND");
  });

  it("refuses a type whose stored settings break the type's rules (409 TYPE_NOT_OFFERABLE with the issues) until they are corrected", async () => {
    const type = await createType();
    await deactivated(`/api/admin/types/${type.id}`);
    // Stored around the API (as data older than a rule could be): pre-screening without a questionnaire.
    await testDb().appointmentType.patch({ typeId: type.id }).set({ requiresPrescreening: true }).go();

    const refused = await asAdmin("POST", `/api/admin/types/${type.id}/reactivate`, {});
    expectError(refused, 409, "TYPE_NOT_OFFERABLE");
    expect(refused.body.error.details).toEqual({
      typeId: type.id,
      issues: [expect.objectContaining({ path: "prescreening", message: expect.stringContaining("questionnaire") })],
    });
    expect(ids((await api("GET", "/api/appointments/types", { token: patient.token })).body.types)).not.toContain(type.id);

    // An inactive type can be corrected, then reactivated.
    expectStatus(await asAdmin("PUT", `/api/admin/types/${type.id}`, { requiresPrescreening: false }), 200);
    expect((await asAdmin("POST", `/api/admin/types/${type.id}/reactivate`, {})).body).toMatchObject({ changed: true, type: { active: true } });
  });
});

describe("a doctor leaving a clinic with reassign", () => {
  /**
   * Clinic C with doctors A (at C and at another clinic; speaks Japanese, so Japanese-speaking
   * patients get them) working DAY 09:00–12:00, and B (at C only) working 10:00–12:00.
   * A type of 20 minutes, no buffers: both doctors' grids meet at 10:00.
   */
  async function twoDoctors() {
    const skill = `skill-${randomUUID().slice(0, 8)}`;
    const [clinic, other] = [await createClinic(), await createClinic()];
    const type = await createType({ requiredSkill: skill, bufferAfterMinutes: 0 });
    const a = await createDoctor([clinic.id, other.id], { skills: [skill], languages: ["ja", "en"] });
    const b = await createDoctor([clinic.id], { skills: [skill], languages: ["en"] });
    const hours = (start: string) => [{ start, end: "12:00" }];
    const week = (tue: Array<{ start: string; end: string }>) => ({ mon: [], tue, wed: [], thu: [], fri: [], sat: [], sun: [] });
    await testDb().doctor.patch({ doctorId: a.id }).set({ template: week(hours("09:00")) }).go();
    await testDb().doctor.patch({ doctorId: b.id }).set({ template: week(hours("10:00")) }).go();
    return { clinicId: clinic.id, otherClinicId: other.id, typeId: type.id, a: a.id, b: b.id };
  }

  /** DAY at a Berlin wall-clock time (the test clinics' zone), as the API's UTC instant. */
  const at = (hhmm: string) => DateTime.fromISO(`${DAY}T${hhmm}`, { zone: "Europe/Berlin" }).toUTC().toISO({ suppressMilliseconds: true })!;

  async function japaneseBooking(setup: { clinicId: string; typeId: string }, hhmm: string) {
    const p = await newPatient("Yui Tanaka");
    expectStatus(await api("PUT", "/api/me", { token: p.token, body: { name: "Yui Tanaka", preferredLanguage: "ja" } }), 200);
    const res = await api("POST", "/api/appointments", { token: p.token, body: { typeId: setup.typeId, clinicId: setup.clinicId, start: at(hhmm) } });
    expectStatus(res, 201);
    return { id: res.body.id as string, start: res.body.start as string, doctorId: res.body.doctor.id as string, token: p.token };
  }

  it("moves each booking to a free doctor of the clinic at the same time, else asks the patient to choose; no double booking", async () => {
    const setup = await twoDoctors();
    const early = await japaneseBooking(setup, "09:00"); // only A works then
    const late = await japaneseBooking(setup, "10:00"); // A by language; B is free then
    expect([early.doctorId, late.doctorId]).toEqual([setup.a, setup.a]);
    const path = `/api/admin/doctors/${setup.a}`;

    // Without reassign: refused, listing both, nothing changed.
    const refused = await asAdmin("PUT", path, { clinicIds: [setup.otherClinicId] });
    expectError(refused, 409, "DOCTOR_HAS_BOOKINGS");
    expect(refused.body.error.details.appointments.map((x: { id: string }) => x.id)).toEqual([early.id, late.id]);

    const res = await asAdmin("PUT", path, { clinicIds: [setup.otherClinicId], reassign: true });
    expectStatus(res, 200);
    expect(res.body.changed).toEqual(["clinicIds"]);
    expect(res.body.doctor.clinicIds).toEqual([setup.otherClinicId]);
    expect(res.body.outcome.reassigned).toEqual([{ appointmentId: late.id, start: late.start, toDoctorId: setup.b }]);
    expect(res.body.outcome.needsReschedule).toEqual([{ appointmentId: early.id, start: early.start, offers: expect.any(Array) }]);
    // Offered: the nearest free times at the clinic (B's; none of them A's any more).
    const offers = res.body.outcome.needsReschedule[0].offers as Array<{ start: string }>;
    expect(offers.length).toBeGreaterThan(0);
    expect(offers.every((o) => o.start >= at("10:00"))).toBe(true);

    const moved = await api("GET", `/api/appointments/${late.id}`, { token: late.token });
    expect(moved.body).toMatchObject({ status: "booked", start: late.start, doctor: { id: setup.b } });
    const asked = await api("GET", `/api/appointments/${early.id}`, { token: early.token });
    expect(asked.body).toMatchObject({ status: "booked", start: early.start, doctor: { id: setup.a }, needsReschedule: { reason: "availability" } });

    // B holds 10:00 now, A is gone from the clinic: nobody else gets that time.
    const third = await newPatient("Late Comer");
    const taken = await api("POST", "/api/appointments", { token: third.token, body: { typeId: setup.typeId, clinicId: setup.clinicId, start: late.start } });
    expectError(taken, 409, "SLOT_TAKEN");
    const { data: claims } = await testDb().claim.scan
      .where((attr, op) => `${op.eq(attr.appointmentId, late.id)} AND ${op.begins(attr.resource, "doctor#")}`)
      .go({ pages: "all" });
    expect(claims.length).toBeGreaterThan(0);
    expect(new Set(claims.map((c) => c.resource))).toEqual(new Set([`doctor#${setup.b}`]));

    const updates = (await auditOf("doctor", setup.a)).filter((e) => e.action === "doctor.updated");
    expect(updates.map((e) => e.clinicId).sort()).toEqual([setup.clinicId, setup.otherClinicId].sort());
    expect(updates[0]!.details).toMatchObject({ before: { clinicIds: [setup.clinicId, setup.otherClinicId] }, after: { clinicIds: [setup.otherClinicId] }, reassign: true });
    const { data: reassignedEntries } = await testDb().auditEntry.query.bySubject({ subjectType: "appointment", subjectId: late.id }).go({ pages: "all", consistent: true });
    expect(reassignedEntries.map((e) => e.action)).toContain("appointment.reassigned");
  });

  it("moves the bookings that need a skill the doctor loses, the same way", async () => {
    const setup = await twoDoctors();
    const early = await japaneseBooking(setup, "09:00");
    const late = await japaneseBooking(setup, "10:00");
    const res = await asAdmin("PUT", `/api/admin/doctors/${setup.a}`, { skills: ["something-else"], reassign: true });
    expectStatus(res, 200);
    expect(res.body.changed).toEqual(["skills"]);
    expect(res.body.outcome.reassigned.map((r: { appointmentId: string }) => r.appointmentId)).toEqual([late.id]);
    expect(res.body.outcome.needsReschedule.map((r: { appointmentId: string }) => r.appointmentId)).toEqual([early.id]);
    // Still at the clinic, but no longer offered for the type.
    const slots = await slotSearch(setup);
    expect(slots.body.slots.length).toBeGreaterThan(0);
    expect(slots.body.slots.every((slot: { localStart: string }) => slot.localStart >= `${DAY}T10:00`)).toBe(true);
  });

  it("sent again once saved, changes nothing and finishes the moves a crash cut short", async () => {
    const setup = await twoDoctors();
    const late = await japaneseBooking(setup, "10:00");
    // As if the change had committed and the process died before moving anything.
    await testDb().doctor.patch({ doctorId: setup.a }).set({ clinicIds: [setup.otherClinicId] }).go();
    const body = { clinicIds: [setup.otherClinicId], reassign: true };

    const res = await asAdmin("PUT", `/api/admin/doctors/${setup.a}`, body);
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ changed: [], outcome: { reassigned: [{ appointmentId: late.id, toDoctorId: setup.b }], needsReschedule: [] } });
    // Nothing is left to move the next time.
    const again = await asAdmin("PUT", `/api/admin/doctors/${setup.a}`, body);
    expect(again.body).toMatchObject({ changed: [], outcome: { reassigned: [], needsReschedule: [] } });
  });

  it("answers outcome null for a change that takes nothing away, and reassign alone is no change (400)", async () => {
    const setup = await twoDoctors();
    const res = await asAdmin("PUT", `/api/admin/doctors/${setup.b}`, { languages: ["en", "de"], reassign: true });
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ changed: ["languages"], outcome: null });
    expectError(await asAdmin("PUT", `/api/admin/doctors/${setup.b}`, { reassign: true }), 400, "VALIDATION_FAILED");
    expectInvalid(await asAdmin("PUT", `/api/admin/doctors/${setup.b}`, { name: "Dr B", reassign: "yes" }), "reassign");
  });
});

describe("region settings", () => {
  it("reads and renames the region, audited on the region's own hash chain", async () => {
    const read = await asAdmin("GET", "/api/admin/region");
    expectStatus(read, 200);
    expect(read.body).toMatchObject({ id: "eu-west", awsRegion: "eu-west-1", defaultTimeZone: "Europe/London", retentionDays: 90, reminderOffsetsMinutes: [1440, 120] });
    const original = read.body.name as string;
    const name = `Europe (West) ${randomUUID().slice(0, 8)}`;
    try {
      const res = await asAdmin("PUT", "/api/admin/region", { name, retentionDays: read.body.retentionDays });
      expectStatus(res, 200);
      expect(res.body.changed).toEqual(["name"]);
      expect(res.body.region).toMatchObject({ name, retentionDays: 90 });
      expectError(await asAdmin("PUT", "/api/admin/region", { name: "Stale", expectedUpdatedAt: read.body.updatedAt ?? "2000-01-01T00:00:00.000Z" }), 409, "CHANGED_MEANWHILE");

      const entry = (await auditOf("region", "eu-west")).find((e) => (e.details as { after?: { name?: string } }).after?.name === name);
      expect(entry).toMatchObject({ clinicId: "region", action: "region.updated", details: { before: { name: original }, after: { name } } });

      // Chained like any clinic's entries, and the chain verifies.
      expect((await api("POST", "/local/streams/drain")).status).toBe(204);
      const mark = await eventually(
        async () => (await testDb().auditChainMark.get({ auditId: entry!.auditId }).go()).data,
        (m) => m !== null,
      );
      expect(mark).toMatchObject({ clinicId: "region", day: entry!.at.slice(0, 10) });
      const verified = await verifyChains(testDb(), { clinicIds: ["region"], from: mark!.day, to: mark!.day });
      expect(verified.problems).toEqual([]);
    } finally {
      expectStatus(await asAdmin("PUT", "/api/admin/region", { name: original }), 200);
    }
  });

  it("answers invalid settings with 400 naming the field", async () => {
    expectInvalid(await asAdmin("PUT", "/api/admin/region", { retentionDays: 0 }), "retentionDays");
    expectInvalid(await asAdmin("PUT", "/api/admin/region", { retentionDays: 3651 }), "retentionDays");
    expectInvalid(await asAdmin("PUT", "/api/admin/region", { reminderOffsetsMinutes: [120, 120] }), "reminderOffsetsMinutes");
    expectInvalid(await asAdmin("PUT", "/api/admin/region", { reminderOffsetsMinutes: [-5] }), "reminderOffsetsMinutes.0");
    expectInvalid(await asAdmin("PUT", "/api/admin/region", { reminderOffsetsMinutes: [14 * 24 * 60 + 5] }), "reminderOffsetsMinutes.0");
    expectInvalid(await asAdmin("PUT", "/api/admin/region", { defaultTimeZone: "Europe/Nowhere" }), "defaultTimeZone");
    expectError(await asAdmin("PUT", "/api/admin/region", { awsRegion: "us-east-1" }), 400, "VALIDATION_FAILED");
    expectError(await asAdmin("PUT", "/api/admin/region", {}), 400, "VALIDATION_FAILED");
    const after = await asAdmin("GET", "/api/admin/region");
    expect(after.body).toMatchObject({ retentionDays: 90, reminderOffsetsMinutes: [1440, 120], defaultTimeZone: "Europe/London" });
  });
});

describe("authorization", () => {
  it("is for administrators only", async () => {
    const nurse = await signIn("nurse@demo.carebook.test");
    for (const [method, path, body] of [
      ["GET", "/api/admin/clinics", undefined],
      ["POST", "/api/admin/clinics", clinicBody()],
      ["POST", "/api/admin/types", { typeId: uniqueId("type"), name: "Nope", durationMinutes: 10 }],
      ["PUT", "/api/admin/region", { name: "Nope" }],
      ["GET", "/api/admin/doctors", undefined],
    ] as const) {
      expectError(await api(method, path, { token: nurse, body }), 403, "FORBIDDEN");
      expectError(await api(method, path, { token: patient.token, body }), 403, "FORBIDDEN");
      expectError(await api(method, path, { body }), 401, "UNAUTHORIZED");
    }
  });
});
