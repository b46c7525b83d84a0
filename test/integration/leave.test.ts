/**
 * Leave and working-hour changes move booked appointments, never strand or double-book them.
 *
 * Patients who prefer French are assigned the demo doctor (Dr Amelia Hughes, the only
 * French-speaking GP of London Central), so the tests know whose appointments they are. Each
 * test works on a day no other test file uses (weeks 13 and 14), and the working-hour change is
 * a date override of that day only, removed at the end.
 */
import { DateTime } from "luxon";
import { beforeAll, describe, expect, it } from "vitest";
import { api, book, newPatient, signIn, testDb, weekdayAhead } from "./harness";

const DEMO_DOCTOR = "amelia-hughes";
const LONDON_GPS = ["amelia-hughes", "james-okafor", "lucia-garcia", "rajesh-patel", "sofia-kowalska"];

let doctor: string;
let admin: string;

beforeAll(async () => {
  [doctor, admin] = await Promise.all([signIn("doctor@demo.carebook.test"), signIn("admin@demo.carebook.test")]);
});

const at = (day: string, hhmm: string) =>
  DateTime.fromISO(`${day}T${hhmm}`, { zone: "Europe/London" }).toUTC().toISO({ suppressMilliseconds: true })!;

async function frenchPatient(name: string) {
  const p = await newPatient(name);
  const res = await api("PUT", "/api/me", { token: p.token, body: { name, preferredLanguage: "fr" } });
  expect(res.status).toBe(200);
  return p;
}

async function booked(token: string, start: string) {
  const res = await book(token, start);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; doctor: { id: string }; start: string };
}

/** Every doctor claim on the day points to an appointment of that doctor that holds the time. */
async function expectClaimsConsistent(day: string) {
  const db = testDb();
  const from = at(day, "00:00");
  const to = at(day, "23:59");
  const { data: claims } = await db.claim.scan
    .where((attr, op) => `${op.between(attr.unit, from, to)} AND ${op.begins(attr.resource, "doctor#")}`)
    .go({ pages: "all" });
  const ids = [...new Set(claims.map((c) => c.appointmentId))];
  const { data: appointments } = await db.appointment.get(ids.map((appointmentId) => ({ appointmentId }))).go({ consistent: true });
  const byId = new Map(appointments.map((a) => [a.appointmentId, a]));
  for (const c of claims) {
    const a = byId.get(c.appointmentId);
    expect(a, `claim ${c.resource} ${c.unit}`).toBeDefined();
    if (a!.status === "cancelled") continue;
    expect(c.resource).toBe(`doctor#${a!.doctorId}`);
  }
  return claims;
}

describe("leave", () => {
  it("approving a doctor's leave moves each appointment to a free doctor, or asks the patient to pick one of the nearest free times", async () => {
    const day = weekdayAhead(13, 3);
    const [fr1, fr2, fr3] = await Promise.all([frenchPatient("Amélie Un"), frenchPatient("Bruno Deux"), frenchPatient("Chloé Trois")]);
    const movable = await booked(fr1.token, at(day, "10:00"));
    const stuck = await booked(fr2.token, at(day, "11:00"));
    expect([movable.doctor.id, stuck.doctor.id]).toEqual([DEMO_DOCTOR, DEMO_DOCTOR]);
    // Every other GP is taken at 11:00.
    const others = await Promise.all(LONDON_GPS.slice(1).map((_, i) => newPatient(`Filler ${i}`)));
    const fillers = await Promise.all(others.map((p) => booked(p.token, at(day, "11:00"))));
    expect(new Set([stuck.doctor.id, ...fillers.map((f) => f.doctor.id)])).toEqual(new Set(LONDON_GPS));

    const requested = await api("POST", "/api/staff/leave", { token: doctor, body: { from: day, to: day, reason: "Conference" } });
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    expect(requested.body).toMatchObject({ status: "requested", staff: { doctorId: DEMO_DOCTOR }, start: at(day, "00:00") });
    const leaveId = requested.body.id as string;
    const overlapping = await api("POST", "/api/staff/leave", { token: doctor, body: { from: day, to: day, reason: "Again" } });
    expect(overlapping.status).toBe(409);
    const mine = await api("GET", "/api/staff/leave", { token: doctor });
    expect(mine.body.items.map((l: { id: string }) => l.id)).toContain(leaveId);

    const approved = await api("POST", `/api/admin/leave/${leaveId}/decision`, { token: admin, body: { decision: "approve" } });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.status).toBe("approved");
    const { reassigned, needsReschedule } = approved.body.outcome;
    expect(reassigned).toEqual([expect.objectContaining({ appointmentId: movable.id, start: movable.start })]);
    expect(reassigned[0].toDoctorId).not.toBe(DEMO_DOCTOR);
    expect(needsReschedule).toEqual([expect.objectContaining({ appointmentId: stuck.id })]);
    expect(needsReschedule[0].offers).toHaveLength(3);

    // The patients see it: same time with another doctor; the other is asked to pick a time.
    const moved = await api("GET", `/api/appointments/${movable.id}`, { token: fr1.token });
    expect(moved.body).toMatchObject({ status: "booked", start: movable.start, doctor: { id: reassigned[0].toDoctorId } });
    const asked = await api("GET", `/api/appointments/${stuck.id}`, { token: fr2.token });
    expect(asked.body).toMatchObject({ status: "booked", needsReschedule: { reason: "leave" } });
    const offers = asked.body.needsReschedule.offers as Array<{ start: string }>;
    for (const offer of offers) expect(offer.start).not.toBe(stuck.start);

    // No claim of that day is orphaned or points to the wrong doctor; the events were written.
    await expectClaimsConsistent(day);
    const events = async (id: string) => (await testDb().domainEvent.query.byAppointment({ appointmentId: id }).go()).data.map((e) => e.type);
    expect(await events(movable.id)).toContain("AppointmentReassigned");
    expect(await events(stuck.id)).toContain("AppointmentNeedsReschedule");

    // While on leave the doctor takes no bookings: a French patient now gets someone else.
    const later = await booked(fr3.token, at(day, "14:00"));
    expect(later.doctor.id).not.toBe(DEMO_DOCTOR);
    const schedule = await api("GET", `/api/staff/schedule?from=${day}`, { token: doctor });
    expect(schedule.body.days[0].leave).toEqual([expect.objectContaining({ leaveId })]);
    expect(schedule.body.days[0].appointments.filter((a: { status: string }) => a.status !== "cancelled")).toHaveLength(1); // the stuck one, until moved

    // The patient takes an offer: the appointment moves and the request is answered.
    const taken = await api("POST", `/api/appointments/${stuck.id}/reschedule`, { token: fr2.token, body: { start: offers[0]!.start } });
    expect(taken.status, JSON.stringify(taken.body)).toBe(200);
    expect(taken.body.needsReschedule).toBeUndefined();
    expect(taken.body.doctor.id).not.toBe(DEMO_DOCTOR);
    await expectClaimsConsistent(day);

    // Decided is decided.
    const again = await api("POST", `/api/admin/leave/${leaveId}/decision`, { token: admin, body: { decision: "reject" } });
    expect(again.status).toBe(409);
  });
});

describe("working hours", () => {
  it("refuses a change that strands bookings (409 listing them), and with reassign moves them", async () => {
    const day = weekdayAhead(14, 4);
    const fr = await frenchPatient("Denise Quatre");
    const late = await booked(fr.token, at(day, "15:00"));
    expect(late.doctor.id).toBe(DEMO_DOCTOR);

    const before = await api("GET", "/api/staff/availability", { token: doctor });
    expect(before.status).toBe(200);
    const morningsOnly = { overrides: [{ date: day, intervals: [{ start: "09:00", end: "12:00" }] }] };

    const refused = await api("POST", "/api/staff/availability", { token: doctor, body: { ...morningsOnly, version: before.body.version } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("AVAILABILITY_STRANDS_BOOKINGS");
    expect(refused.body.error.details.appointments).toEqual([expect.objectContaining({ id: late.id, start: late.start })]);
    const unchanged = await api("GET", "/api/staff/availability", { token: doctor });
    expect(unchanged.body.version).toBe(before.body.version);

    const moved = await api("POST", "/api/staff/availability", { token: doctor, body: { ...morningsOnly, reassign: true } });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.availability.overrides).toEqual(expect.arrayContaining(morningsOnly.overrides));
    expect(moved.body.outcome.reassigned).toEqual([expect.objectContaining({ appointmentId: late.id })]);
    const now = await api("GET", `/api/appointments/${late.id}`, { token: fr.token });
    expect(now.body).toMatchObject({ start: late.start, status: "booked" });
    expect(now.body.doctor.id).not.toBe(DEMO_DOCTOR);
    await expectClaimsConsistent(day);

    // The afternoon is gone from the doctor's hours that day; the morning books as before.
    const morning = await booked((await frenchPatient("Eve Cinq")).token, at(day, "09:20"));
    expect(morning.doctor.id).toBe(DEMO_DOCTOR);

    const restored = await api("POST", "/api/staff/availability", { token: doctor, body: { removeOverrides: [day] } });
    expect(restored.status).toBe(200);
    expect(restored.body.availability.overrides.map((o: { date: string }) => o.date)).not.toContain(day);

    // A stale version is refused.
    const stale = await api("POST", "/api/staff/availability", { token: doctor, body: { removeOverrides: [day], version: before.body.version } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("SCHEDULE_CHANGED");
  });

  it("validates the hours and keeps other clinics' doctors out", async () => {
    const bad = await api("POST", "/api/staff/availability", { token: doctor, body: { overrides: [{ date: "2027-13-01", intervals: [] }] } });
    expect(bad.status).toBe(400);
    const nothing = await api("POST", "/api/staff/availability", { token: doctor, body: {} });
    expect(nothing.status).toBe(400);
    const amsterdam = await signIn("doctor.amsterdam@demo.carebook.test");
    expect((await api("GET", `/api/staff/availability?doctorId=${DEMO_DOCTOR}`, { token: amsterdam })).status).toBe(404);
    expect((await api("POST", "/api/staff/availability", { token: admin, body: { doctorId: "no-such-doctor", removeOverrides: ["2027-01-01"] } })).status).toBe(404);
  });
});

describe("deactivating a doctor", () => {
  it("is refused while they have future bookings (409 listing them), and with reassign follows the leave path", async () => {
    const day = weekdayAhead(16, 2);
    const doctorId = `deactivate-${Date.now().toString(36)}`;
    const created = await api("POST", "/api/admin/doctors", {
      token: admin,
      body: { doctorId, name: "Dr Kenji Sato", clinicIds: ["london-central"], skills: ["general-practice"], languages: ["ja"] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // A new doctor works no hours until given some.
    const weekdays = { start: "09:00", end: "17:00" };
    const hours = await api("POST", "/api/staff/availability", {
      token: admin,
      body: { doctorId, template: { mon: [weekdays], tue: [weekdays], wed: [weekdays], thu: [weekdays], fri: [weekdays], sat: [], sun: [] } },
    });
    expect(hours.status, JSON.stringify(hours.body)).toBe(200);

    // A Japanese-speaking patient gets the only Japanese-speaking doctor.
    const p = await newPatient("Haruki Mura");
    expect((await api("PUT", "/api/me", { token: p.token, body: { name: "Haruki Mura", preferredLanguage: "ja" } })).status).toBe(200);
    const appointment = await booked(p.token, at(day, "13:00"));
    expect(appointment.doctor.id).toBe(doctorId);

    const refused = await api("POST", `/api/admin/doctors/${doctorId}/deactivate`, { token: admin, body: {} });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("DOCTOR_HAS_BOOKINGS");
    expect(refused.body.error.details.appointments).toEqual([expect.objectContaining({ id: appointment.id })]);

    const deactivated = await api("POST", `/api/admin/doctors/${doctorId}/deactivate`, { token: admin, body: { reassign: true } });
    expect(deactivated.status, JSON.stringify(deactivated.body)).toBe(200);
    expect(deactivated.body.outcome.reassigned).toEqual([expect.objectContaining({ appointmentId: appointment.id })]);
    const after = await api("GET", `/api/appointments/${appointment.id}`, { token: p.token });
    expect(after.body).toMatchObject({ status: "booked", start: appointment.start });
    expect(after.body.doctor.id).not.toBe(doctorId);
    await expectClaimsConsistent(day);
  });
});

describe("leave over an appointment of a type no longer offered", () => {
  it("asks the patient to choose, with nothing to offer, instead of failing the approval", async () => {
    const day = weekdayAhead(17, 3);
    const typeId = `leave-type-${Date.now().toString(36)}`;
    const type = await api("POST", "/api/admin/types", {
      token: admin,
      body: { typeId, name: "Short check", durationMinutes: 10, bufferAfterMinutes: 10, requiredSkill: "general-practice" },
    });
    expect(type.status, JSON.stringify(type.body)).toBe(201);
    const fr = await frenchPatient("Fleur Six");
    const res = await api("POST", "/api/appointments", { token: fr.token, body: { typeId, clinicId: "london-central", start: at(day, "10:00") } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.doctor.id).toBe(DEMO_DOCTOR);
    expect((await api("POST", `/api/admin/types/${typeId}/deactivate`, { token: admin, body: {} })).status).toBe(200);

    const leave = await api("POST", "/api/staff/leave", { token: doctor, body: { from: day, to: day, reason: "Training" } });
    expect(leave.status, JSON.stringify(leave.body)).toBe(201);
    const approved = await api("POST", `/api/admin/leave/${leave.body.id}/decision`, { token: admin, body: { decision: "approve" } });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.outcome).toEqual({ reassigned: [], needsReschedule: [expect.objectContaining({ appointmentId: res.body.id, offers: [] })] });
    const seen = await api("GET", `/api/appointments/${res.body.id}`, { token: fr.token });
    expect(seen.body).toMatchObject({ status: "booked", needsReschedule: { reason: "leave", offers: [] } });
  });
});

describe("the leave list's pages", () => {
  it("pages one's own leave by start with limit and cursor, the same items as one big page; a cursor is bound to its list and caller", async () => {
    // Three requests of the demo doctor on days no other test uses (week 45), all still to decide.
    const days = [1, 3, 5].map((d) => weekdayAhead(45, d));
    const ids: string[] = [];
    for (const day of days) {
      const res = await api("POST", "/api/staff/leave", { token: doctor, body: { from: day, to: day, reason: "Paging" } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      ids.push(res.body.id);
    }
    try {
      const query = (extra: Record<string, string>) => `/api/staff/leave?${new URLSearchParams({ from: days[0]!, ...extra })}`;
      const whole = await api("GET", query({ limit: "200" }), { token: doctor });
      expect(whole.status).toBe(200);
      expect(whole.body.items.map((l: { id: string }) => l.id)).toEqual(ids);

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const res = await api("GET", query({ limit: "1", ...(cursor ? { cursor } : {}) }), { token: doctor });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(1);
        seen.push(...res.body.items.map((l: { id: string }) => l.id));
        cursor = res.body.cursor;
        expect(++pages).toBeLessThanOrEqual(4); // 3 items: 3 pages, maybe a fourth, empty one
      } while (cursor);
      expect(seen).toEqual(ids);

      const first = await api("GET", query({ limit: "1" }), { token: doctor });
      const invalid = async (path: string, token: string) => {
        const res = await api("GET", path, { token });
        expect(res.status, path).toBe(400);
        expect(res.body.error.code).toBe("INVALID_CURSOR");
      };
      await invalid(query({ limit: "1", status: "approved", cursor: first.body.cursor }), doctor); // other filters
      await invalid(query({ limit: "1", cursor: first.body.cursor }), admin); // another caller's list
      await invalid(query({ cursor: "bm90LW91cnM" }), doctor); // not ours at all
    } finally {
      for (const id of ids) await api("POST", `/api/admin/leave/${id}/decision`, { token: admin, body: { decision: "reject", note: "paging test" } });
    }
  });

  it("validates limit and cursor (400 with the field named)", async () => {
    for (const [query, field] of [
      ["limit=0", "limit"],
      ["limit=201", "limit"],
      ["limit=ten", "limit"],
      ["cursor=", "cursor"],
    ] as const) {
      const res = await api("GET", `/api/staff/leave?${query}`, { token: admin });
      expect(res.status, query).toBe(400);
      expect(JSON.stringify(res.body.error.details), query).toContain(field);
    }
    const paged = await api("GET", "/api/staff/leave?limit=1", { token: admin });
    expect(paged.status).toBe(200);
    expect(paged.body.items.length).toBeLessThanOrEqual(1);
  });
});
