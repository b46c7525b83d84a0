/**
 * The authorization matrix, enumerated: every route of the route table × every persona, against
 * the running local runtime, each with the status it must answer. A route without a row here
 * fails the suite (and the type check: `satisfies Record<RouteKey, …>`).
 *
 * Expected statuses are written out by hand, not derived from the route table, so a change in a
 * route's roles or scopes shows up here as a failing row to be re-decided.
 *
 * Each call gets fresh fixtures (its own appointment, its own slot), so an allowed persona's
 * change never spoils the next persona's call.
 */
import { randomUUID } from "node:crypto";
import { DateTime } from "luxon";
import { beforeAll, describe, expect, it } from "vitest";
import { routes, type RouteKey } from "../../functions/routes";
import { api, newPatient, signIn, testDb, weekdayAhead } from "./harness";
import { localDate, seedAppointment } from "./fixtures";

const personas = ["anonymous", "patient", "otherPatient", "doctor", "otherDoctor", "nurse", "admin", "support"] as const;
type Persona = (typeof personas)[number];

interface Request {
  path: string;
  body?: unknown;
}

interface Row {
  /** Statuses in the order of `personas`: anonymous, patient, another patient, doctor, another
   * clinic's doctor, nurse, admin, support. */
  expect: string;
  /** Builds the request (fresh fixtures for each call). */
  request: () => Promise<Request>;
}

let tokens: Record<Exclude<Persona, "anonymous">, string>;
let patient: Awaited<ReturnType<typeof newPatient>>;

// ---------------------------------------------------------------------------------------
// Fixtures

/** Fresh London starts on the type's grid (general consultation: every 20 minutes from 09:00,
 * on week 11; vaccination: every 15 minutes, on week 12), so no two calls share a slot. */
const grids = { "general-consultation": { week: 11, step: 20, used: 0 }, vaccination: { week: 12, step: 15, used: 0 } };
function nextStart(typeId: keyof typeof grids = "general-consultation"): string {
  const grid = grids[typeId];
  const perDay = (8 * 60) / grid.step - 1;
  const i = grid.used++;
  const day = weekdayAhead(grid.week, 1 + (Math.floor(i / perDay) % 5));
  const local = DateTime.fromISO(day, { zone: "Europe/London" }).plus({ minutes: 9 * 60 + (i % perDay) * grid.step });
  return local.toUTC().toISO({ suppressMilliseconds: true })!;
}

async function bookAs(token: string, typeId: keyof typeof grids = "general-consultation"): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const res = await api("POST", "/api/appointments", { token, body: { typeId, clinicId: "london-central", start: nextStart(typeId) } });
    if (res.status === 201) return res.body.id as string;
    if (res.status !== 409) throw new Error(`fixture booking failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  throw new Error("no free fixture slot");
}

/** Waits until the appointment's workflow waits for `stage` (its task token stored). */
async function waitForStage(appointmentId: string, stage: "answers" | "decision") {
  for (let i = 0; i < 100; i++) {
    const { data } = await testDb().appointment.get({ appointmentId }).go({ consistent: true });
    if (data?.taskToken && data.taskTokenStage === stage) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${appointmentId} never waited for ${stage}`);
}

const answers = { vaccine: "influenza", fever: false, "previous-reaction": false, pregnant: "no", "blood-thinners": false };

/** A vaccination held for pre-screening, its workflow waiting for the patient's answers. */
async function heldVaccination(): Promise<string> {
  const id = await bookAs(patient.token, "vaccination");
  await waitForStage(id, "answers");
  return id;
}

/** A held vaccination with answers in, waiting for a nurse's decision. */
async function answeredVaccination(): Promise<string> {
  const id = await heldVaccination();
  const res = await api("POST", `/api/appointments/${id}/prescreening`, { token: patient.token, body: { answers } });
  if (res.status !== 200) throw new Error(`fixture answers failed: ${res.status} ${JSON.stringify(res.body)}`);
  await waitForStage(id, "decision");
  return id;
}

/** The patient's appointment with the demo doctor, started ten minutes ago. */
const visitNow = async () => (await seedAppointment({ patientId: patient.sub })).appointmentId;

let archivedId: string;
/** A cancelled appointment of the patient, past its retention, moved to the archive. */
async function archivedAppointment(): Promise<string> {
  const a = await seedAppointment({ patientId: patient.sub, status: "cancelled", start: Date.parse(nextStart()) });
  await testDb().appointment.patch({ appointmentId: a.appointmentId }).set({ expiresAt: Math.floor(Date.now() / 1000) - 60 }).go();
  expect((await api("POST", "/local/ttl/sweep")).status).toBe(200);
  expect((await api("POST", "/local/streams/drain")).status).toBe(204);
  return a.appointmentId;
}

const today = () => localDate(Date.now());

/** A fresh leave period per call (a day each, from week 30 on), so requests never overlap. */
let leaveDay = 0;
const nextLeaveDates = () => {
  const day = DateTime.fromISO(weekdayAhead(30, 1)).plus({ days: leaveDay++ }).toISODate()!;
  return { from: day, to: day, reason: "Matrix test" };
};

/** A nurse's leave request (approving or rejecting it moves no appointments). */
async function nurseLeave(): Promise<string> {
  const res = await api("POST", "/api/staff/leave", { token: tokens.nurse, body: nextLeaveDates() });
  if (res.status !== 201) throw new Error(`fixture leave failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

const matrixClinic = () => ({
  clinicId: `matrix-${randomUUID()}`,
  name: "Matrix Clinic",
  timeZone: "Europe/London",
  address: { line1: "1 Matrix Row", city: "London", postcode: "N1 9GU", country: "GB" },
});
const matrixDoctor = () => ({ doctorId: `matrix-${randomUUID()}`, name: "Dr Matrix", clinicIds: ["london-central"], skills: ["matrix-only"], languages: ["en"] });
const matrixType = () => ({ typeId: `matrix-${randomUUID()}`, name: "Matrix type", durationMinutes: 10, requiredSkill: "matrix-only" });

/** Something an admin created for the call to act on. */
async function adminCreated(path: string, body: Record<string, unknown>): Promise<string> {
  const res = await api("POST", path, { token: tokens.admin, body });
  if (res.status !== 201) throw new Error(`fixture ${path} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}
/** Something an admin created, then deactivated, for the call to reactivate: its path. */
async function adminDeactivated(path: string, body: Record<string, unknown>): Promise<string> {
  const itemPath = `${path}/${await adminCreated(path, body)}`;
  const res = await api("POST", `${itemPath}/deactivate`, { token: tokens.admin, body: {} });
  if (res.status !== 200) throw new Error(`fixture ${itemPath}/deactivate failed: ${res.status} ${JSON.stringify(res.body)}`);
  return itemPath;
}
const fixed = (path: string, body?: unknown) => async () => ({ path, body });

// ---------------------------------------------------------------------------------------
// The matrix                         anon  pat  other doc  doc2 nurse admin support

const matrix = {
  "GET /health": { expect: "200 200 200 200 200 200 200 200", request: fixed("/health") },
  "GET /api/openapi.json": { expect: "200 200 200 200 200 200 200 200", request: fixed("/api/openapi.json") },
  "GET /api/clinics": { expect: "401 200 200 200 200 200 200 200", request: fixed("/api/clinics") },
  "GET /api/appointments/types": { expect: "401 200 200 200 200 200 200 200", request: fixed("/api/appointments/types") },
  "GET /api/appointments/available-slots": {
    expect: "401 200 200 200 200 200 200 200",
    request: async () => {
      const day = weekdayAhead(11, 1);
      return { path: `/api/appointments/available-slots?typeId=general-consultation&clinicId=london-central&from=${day}&to=${day}` };
    },
  },
  "POST /api/appointments": {
    expect: "401 201 201 403 403 403 403 403",
    request: async () => ({ path: "/api/appointments", body: { typeId: "general-consultation", clinicId: "london-central", start: nextStart() } }),
  },
  "GET /api/appointments": { expect: "401 200 200 403 403 403 403 403", request: fixed("/api/appointments") },
  "GET /api/appointments/{id}": {
    expect: "401 200 404 403 403 403 403 200",
    request: async () => ({ path: `/api/appointments/${await bookAs(patient.token)}` }),
  },
  "POST /api/appointments/{id}/reschedule": {
    expect: "401 200 404 403 403 403 403 403",
    request: async () => ({ path: `/api/appointments/${await bookAs(patient.token)}/reschedule`, body: { start: nextStart() } }),
  },
  "POST /api/appointments/{id}/cancel": {
    expect: "401 200 404 403 403 403 403 200",
    request: async () => ({ path: `/api/appointments/${await bookAs(patient.token)}/cancel`, body: { reason: "cannot come" } }),
  },
  "GET /api/appointments/{id}/prescreening": {
    expect: "401 200 404 403 403 403 403 403",
    request: async () => ({ path: `/api/appointments/${await heldVaccination()}/prescreening` }),
  },
  "POST /api/appointments/{id}/prescreening": {
    expect: "401 200 404 403 403 403 403 403",
    request: async () => ({ path: `/api/appointments/${await heldVaccination()}/prescreening`, body: { answers } }),
  },
  "GET /api/staff/prescreening": {
    expect: "401 403 403 403 403 200 200 403",
    request: fixed("/api/staff/prescreening?clinicId=london-central"),
  },
  "GET /api/staff/prescreening/{appointmentId}": {
    expect: "401 403 403 403 403 200 200 403",
    request: async () => ({ path: `/api/staff/prescreening/${await heldVaccination()}` }),
  },
  "POST /api/staff/prescreening/{appointmentId}/decision": {
    expect: "401 403 403 403 403 200 200 403",
    request: async () => ({ path: `/api/staff/prescreening/${await answeredVaccination()}/decision`, body: { decision: "approve" } }),
  },
  "GET /api/staff/appointments": {
    expect: "401 403 403 200 200 200 200 403",
    request: async () => ({ path: `/api/staff/appointments?from=${today()}` }),
  },
  "GET /api/staff/schedule": {
    // Another clinic's doctor naming this clinic's doctor finds nothing.
    expect: "401 403 403 200 404 200 200 403",
    request: async () => ({ path: `/api/staff/schedule?from=${today()}&doctorId=amelia-hughes` }),
  },
  "POST /api/staff/appointments/{appointmentId}/check-in": {
    expect: "401 403 403 200 404 200 200 403",
    request: async () => ({ path: `/api/staff/appointments/${await visitNow()}/check-in`, body: {} }),
  },
  "POST /api/staff/appointments/{appointmentId}/complete": {
    expect: "401 403 403 200 404 403 200 403",
    request: async () => ({ path: `/api/staff/appointments/${await visitNow()}/complete`, body: {} }),
  },
  "POST /api/staff/appointments/{appointmentId}/no-show": {
    expect: "401 403 403 200 404 200 200 403",
    request: async () => ({ path: `/api/staff/appointments/${await visitNow()}/no-show`, body: {} }),
  },
  "GET /api/staff/availability": {
    expect: "401 403 403 200 404 200 200 403",
    request: fixed("/api/staff/availability?doctorId=amelia-hughes"),
  },
  "POST /api/staff/availability": {
    // A Sunday far ahead off (it is off anyway): allowed callers change nothing that matters.
    expect: "401 403 403 200 404 403 200 403",
    request: async () => ({
      path: "/api/staff/availability",
      body: { doctorId: "amelia-hughes", overrides: [{ date: DateTime.fromISO(weekdayAhead(41, 1)).minus({ days: 1 }).toISODate(), intervals: [] }] },
    }),
  },
  "POST /api/staff/leave": {
    expect: "401 403 403 201 201 201 403 403",
    request: async () => ({ path: "/api/staff/leave", body: nextLeaveDates() }),
  },
  "GET /api/staff/leave": { expect: "401 403 403 200 200 200 200 403", request: fixed("/api/staff/leave") },
  "POST /api/admin/leave/{leaveId}/decision": {
    expect: "401 403 403 403 403 403 200 403",
    request: async () => ({ path: `/api/admin/leave/${await nurseLeave()}/decision`, body: { decision: "reject", note: "Matrix test" } }),
  },
  "GET /api/admin/clinics": { expect: "401 403 403 403 403 403 200 403", request: fixed("/api/admin/clinics") },
  "POST /api/admin/clinics": { expect: "401 403 403 403 403 403 201 403", request: async () => ({ path: "/api/admin/clinics", body: matrixClinic() }) },
  "PUT /api/admin/clinics/{clinicId}": { expect: "401 403 403 403 403 403 200 403", request: fixed("/api/admin/clinics/london-central", { name: "London Central" }) },
  "POST /api/admin/clinics/{clinicId}/deactivate": {
    expect: "401 403 403 403 403 403 200 403",
    request: async () => ({ path: `/api/admin/clinics/${await adminCreated("/api/admin/clinics", matrixClinic())}/deactivate`, body: {} }),
  },
  "POST /api/admin/clinics/{clinicId}/reactivate": {
    expect: "401 403 403 403 403 403 200 403",
    request: async () => ({ path: `${await adminDeactivated("/api/admin/clinics", matrixClinic())}/reactivate`, body: {} }),
  },
  "GET /api/admin/doctors": { expect: "401 403 403 403 403 403 200 403", request: fixed("/api/admin/doctors") },
  "POST /api/admin/doctors": { expect: "401 403 403 403 403 403 201 403", request: async () => ({ path: "/api/admin/doctors", body: matrixDoctor() }) },
  "PUT /api/admin/doctors/{doctorId}": { expect: "401 403 403 403 403 403 200 403", request: fixed("/api/admin/doctors/amelia-hughes", { name: "Dr Amelia Hughes" }) },
  "POST /api/admin/doctors/{doctorId}/deactivate": {
    expect: "401 403 403 403 403 403 200 403",
    request: async () => ({ path: `/api/admin/doctors/${await adminCreated("/api/admin/doctors", matrixDoctor())}/deactivate`, body: {} }),
  },
  "POST /api/admin/doctors/{doctorId}/reactivate": {
    expect: "401 403 403 403 403 403 200 403",
    request: async () => ({ path: `${await adminDeactivated("/api/admin/doctors", matrixDoctor())}/reactivate`, body: {} }),
  },
  "GET /api/admin/types": { expect: "401 403 403 403 403 403 200 403", request: fixed("/api/admin/types") },
  "POST /api/admin/types": { expect: "401 403 403 403 403 403 201 403", request: async () => ({ path: "/api/admin/types", body: matrixType() }) },
  "PUT /api/admin/types/{typeId}": { expect: "401 403 403 403 403 403 200 403", request: fixed("/api/admin/types/general-consultation", { name: "General consultation" }) },
  "POST /api/admin/types/{typeId}/deactivate": {
    expect: "401 403 403 403 403 403 200 403",
    request: async () => ({ path: `/api/admin/types/${await adminCreated("/api/admin/types", matrixType())}/deactivate`, body: {} }),
  },
  "POST /api/admin/types/{typeId}/reactivate": {
    expect: "401 403 403 403 403 403 200 403",
    request: async () => ({ path: `${await adminDeactivated("/api/admin/types", matrixType())}/reactivate`, body: {} }),
  },
  "GET /api/admin/region": { expect: "401 403 403 403 403 403 200 403", request: fixed("/api/admin/region") },
  "PUT /api/admin/region": { expect: "401 403 403 403 403 403 200 403", request: fixed("/api/admin/region", { retentionDays: 90 }) },
  "GET /api/admin/staff": { expect: "401 403 403 403 403 403 200 403", request: fixed("/api/admin/staff") },
  "POST /api/admin/staff": {
    expect: "401 403 403 403 403 403 201 403",
    request: async () => ({
      path: "/api/admin/staff",
      body: { name: "Matrix Invitee", email: `matrix.${randomUUID()}@test.carebook.test`, roles: ["nurse"], clinicIds: ["london-central"] },
    }),
  },
  "PUT /api/admin/staff/{sub}": {
    expect: "401 403 403 403 403 403 200 403",
    request: async () => ({
      path: `/api/admin/staff/matrix-${randomUUID()}`,
      body: { name: "Matrix Nurse", email: "matrix.nurse@test.carebook.test", roles: ["nurse"], clinicIds: ["london-central"] },
    }),
  },
  "GET /api/support/patients": {
    expect: "401 403 403 403 403 403 403 200",
    request: async () => ({ path: `/api/support/patients?email=${encodeURIComponent(patient.email)}` }),
  },
  "GET /api/support/patients/{patientId}/appointments": {
    expect: "401 403 403 403 403 403 403 200",
    request: async () => ({ path: `/api/support/patients/${patient.sub}/appointments` }),
  },
  "GET /api/me": { expect: "401 200 200 200 200 200 200 200", request: fixed("/api/me") },
  "PUT /api/me": {
    expect: "401 200 200 403 403 403 403 403",
    request: fixed("/api/me", { name: "Matrix Person", preferredLanguage: "en", insuranceRef: "INS-1" }),
  },
  "GET /api/me/notification-preferences": { expect: "401 200 200 403 403 403 403 403", request: fixed("/api/me/notification-preferences") },
  "PUT /api/me/notification-preferences": {
    expect: "401 200 200 403 403 403 403 403",
    request: fixed("/api/me/notification-preferences", { channels: ["email"], language: "en", quietHours: null, timeZone: "Europe/London" }),
  },
  "GET /api/me/notifications": { expect: "401 200 200 403 403 403 403 403", request: fixed("/api/me/notifications") },
  "GET /api/me/push-key": { expect: "401 200 200 403 403 403 403 403", request: fixed("/api/me/push-key") },
  "POST /api/admin/notifications/emergency": {
    expect: "401 403 403 403 403 403 202 403",
    // A Sunday far ahead: no one is booked, so no one is actually told anything.
    request: async () => ({
      path: "/api/admin/notifications/emergency",
      body: { clinicId: "london-central", date: DateTime.fromISO(weekdayAhead(40, 1)).minus({ days: 1 }).toISODate(), message: "Matrix test" },
    }),
  },
  "GET /api/admin/appointments/audit": { expect: "401 403 403 403 403 403 200 403", request: fixed("/api/admin/appointments/audit?clinicId=london-central&limit=1") },
  "GET /api/admin/appointments/archive/{appointmentId}": {
    expect: "401 403 403 403 403 403 200 403",
    request: async () => ({ path: `/api/admin/appointments/archive/${(archivedId ??= await archivedAppointment())}` }),
  },
  "GET /api/admin/appointments/metrics": {
    expect: "401 403 403 403 403 403 200 403",
    request: async () => ({ path: `/api/admin/appointments/metrics?clinicId=london-central&from=${today()}&to=${today()}` }),
  },
} satisfies Record<RouteKey, Row>;

// ---------------------------------------------------------------------------------------

beforeAll(async () => {
  patient = await newPatient("Matrix Patient");
  const other = await newPatient("Other Patient");
  const [doctor, otherDoctor, nurse, admin, support] = await Promise.all([
    signIn("doctor@demo.carebook.test"),
    signIn("doctor.amsterdam@demo.carebook.test"),
    signIn("nurse@demo.carebook.test"),
    signIn("admin@demo.carebook.test"),
    signIn("support@demo.carebook.test"),
  ]);
  tokens = { patient: patient.token, otherPatient: other.token, doctor, otherDoctor, nurse, admin, support };
});

describe("authorization matrix", () => {
  it("has a row for every route of the route table, and only those", () => {
    expect(Object.keys(matrix).sort()).toEqual(Object.keys(routes).sort());
    for (const [key, row] of Object.entries(matrix)) expect(row.expect.split(" "), key).toHaveLength(personas.length);
  });

  it.each(Object.keys(matrix) as RouteKey[])("%s", async (routeKey) => {
    const row: Row = matrix[routeKey];
    const [method] = routeKey.split(" ") as [string];
    const expected = row.expect.split(" ").map(Number);
    const actual: number[] = [];
    const bodies: string[] = [];
    for (const persona of personas) {
      const { path, body } = await row.request();
      const token = persona === "anonymous" ? undefined : tokens[persona];
      const res = await api(method, path, { token, body });
      actual.push(res.status);
      bodies.push(`${persona}: ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
      // Refusals are the API's JSON errors, and a refused call learns nothing about the resource.
      if (res.status === 401 || res.status === 403 || res.status === 404) {
        expect(res.body.error.code, `${routeKey} as ${persona}`).toMatch(/^[A-Z_]+$/);
        expect(JSON.stringify(res.body), `${routeKey} as ${persona}`).not.toContain(patient.sub);
      }
    }
    expect(actual, `${routeKey}\n${bodies.join("\n")}`).toEqual(expected);
  });
});
