/**
 * The pre-screening workflow end to end on the local runtime: the definition in
 * functions/workflows/prescreening.asl.json runs in the local Step Functions, its Tasks call
 * the workflow Lambda, HTTP requests resume it through task tokens, and the runtime's clock is
 * moved to make timeouts happen.
 */
import { describe, expect, it } from "vitest";
import { parseEvent } from "@carebook/core/events/schemas";
import { api, testDb } from "../integration/harness";
import {
  advance,
  advanceTo,
  appointment,
  bookAt,
  call,
  clockNow,
  eventually,
  executionsOf,
  freeSlot,
  HOUR,
  MINUTE,
  admin,
  nurse,
  patient,
  weekdayFrom,
  type Person,
} from "./harness";

const VACCINATION = "vaccination";
const answers = { vaccine: "influenza", fever: false, "previous-reaction": false, pregnant: "no", "blood-thinners": false };

/** Books a vaccination `days` ahead at 10:00 London and checks it is held. */
async function holdVaccination(person: Person, days: number, hhmm = "10:00") {
  const date = weekdayFrom(await clockNow(), days);
  const slot = await freeSlot(person, VACCINATION, date, hhmm);
  expect(slot, `a free ${hhmm} vaccination slot on ${date}`).toBeDefined();
  const res = await bookAt(person, VACCINATION, slot!.start);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.status).toBe("pending");
  return { id: res.body.id as string, start: res.body.start as string, date, hhmm, freeBefore: slot!.freeDoctors };
}

async function answer(person: Person, id: string, body: unknown = { answers }) {
  return call(person, "POST", `/api/appointments/${id}/prescreening`, body);
}

async function decide(person: Person, id: string, decision: string, note?: string) {
  return call(person, "POST", `/api/staff/prescreening/${id}/decision`, { decision, note });
}

async function queue() {
  const res = await call(nurse, "GET", "/api/staff/prescreening?status=pending&clinicId=london-central");
  expect(res.status).toBe(200);
  return res.body.items as Array<{ appointmentId: string; slaRemainingMinutes: number; escalated: boolean; queuedAt: string }>;
}

async function events(appointmentId: string) {
  const { data } = await testDb().domainEvent.query.byAppointment({ appointmentId }).go({ pages: "all" });
  return data;
}

async function claimsOf(appointmentId: string) {
  const { data } = await testDb().claim.scan.where((attr, op) => op.eq(attr.appointmentId, appointmentId)).go({ pages: "all" });
  return data;
}

describe("pre-screening workflow", () => {
  it("book → pending → answer → nurse approves → booked, with reminders started", async () => {
    const p = await patient("Approve Path");
    const held = await holdVaccination(p, 3);

    const state = await eventually(
      () => call(p, "GET", `/api/appointments/${held.id}/prescreening`),
      (r) => expect(r.status).toBe(200),
    );
    expect(state.body).toMatchObject({ state: "awaiting-answers", appointmentStatus: "pending" });
    expect(state.body.questionnaire.questions.map((q: { id: string }) => q.id)).toContain("fever");
    expect(JSON.stringify(state.body)).not.toMatch(/token/i);

    // Answers are checked against the questionnaire.
    const bad = await answer(p, held.id, { answers: { ...answers, fever: "maybe", extra: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(["answers.fever"]));

    const answered = await answer(p, held.id);
    expect(answered.status, JSON.stringify(answered.body)).toBe(200);
    expect(answered.body).toMatchObject({ state: "awaiting-decision", answers });

    // The nurse's queue shows it, with the SLA's time left; the workflow waits for the decision.
    const items = await queue();
    const item = items.find((i) => i.appointmentId === held.id);
    expect(item).toBeDefined();
    expect(item!.slaRemainingMinutes).toBeGreaterThan(235);
    expect(item!.slaRemainingMinutes).toBeLessThanOrEqual(240);
    // Looking at the queue (patients' names) is audited: who, when, which appointments.
    const { data: reads } = await testDb().auditEntry.query.bySubject({ subjectType: "prescreening-queue", subjectId: "london-central" }).go({ order: "desc", limit: 1 });
    expect(reads[0]).toMatchObject({ action: "prescreening.queue-viewed", actorId: "demo-nurse", clinicId: "london-central" });
    expect((reads[0]!.details as { appointmentIds: string[] }).appointmentIds).toContain(held.id);
    await eventually(() => executionsOf(held.id, "prescreening"), (e) => expect(e[0]?.currentStates).toEqual(["AwaitDecision"]));

    // Only nurses and admins decide.
    const byPatient = await decide(p, held.id, "approve");
    expect(byPatient.status).toBe(403);

    const seen = await call(nurse, "GET", `/api/staff/prescreening/${held.id}`);
    expect(seen.status).toBe(200);
    expect(seen.body.answers).toEqual(answers);

    const approved = await decide(nurse, held.id, "approve", "no contraindications");
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ state: "approved", decision: "approve" });

    const booked = await eventually(() => appointment(p, held.id), (a) => expect(a.status).toBe("booked"));
    expect((await queue()).some((i) => i.appointmentId === held.id)).toBe(false);
    // Its claims are now permanent.
    const claims = await claimsOf(held.id);
    expect(claims.length).toBeGreaterThan(0);
    expect(claims.every((c) => c.holdUntil === undefined)).toBe(true);

    const [execution] = await eventually(() => executionsOf(held.id, "prescreening"), (e) => expect(e[0]?.status).toBe("SUCCEEDED"));
    expect(execution).toBeDefined();
    const reminders = await eventually(() => executionsOf(held.id, "reminders"), (e) => expect(e).toHaveLength(1));
    expect(reminders[0]!.input).toEqual({ appointmentId: held.id, version: booked.version });

    // Every transition is audited, in order.
    const { data: audit } = await testDb().auditEntry.query.bySubject({ subjectType: "appointment", subjectId: held.id }).go();
    expect(audit.map((a) => a.action)).toEqual([
      "appointment.pending",
      "prescreening.started",
      "prescreening.answered",
      "prescreening.viewed",
      "prescreening.decided",
      "appointment.booked",
    ]);
    const trail = await events(held.id);
    expect(trail.map((e) => e.type)).toEqual(["AppointmentPending", "PreScreeningRequested", "PreScreeningDecided", "AppointmentBooked"]);
    for (const e of trail) expect(() => parseEvent(e)).not.toThrow();
  });

  it("reject → cancelled and the time is free again", async () => {
    const p = await patient("Reject Path");
    const held = await holdVaccination(p, 4);
    await eventually(() => answer(p, held.id), (r) => expect(r.status).toBe(200));
    expect((await decide(nurse, held.id, "reject", "recent fever")).status).toBe(200);

    const cancelled = await eventually(() => appointment(p, held.id), (a) => expect(a.status).toBe("cancelled"));
    expect(cancelled.cancelReason).toBe("prescreening-rejected");
    expect(await claimsOf(held.id)).toEqual([]);
    const again = await freeSlot(p, VACCINATION, held.date, held.hhmm);
    expect(again?.freeDoctors).toBe(held.freeBefore);
    const status = await call(p, "GET", `/api/appointments/${held.id}/prescreening`);
    expect(status.body).toMatchObject({ state: "released", releasedReason: "prescreening-rejected", decision: "reject" });
  });

  it("the patient does not answer in time → hold released, and the patient sees why", async () => {
    const p = await patient("Silent Patient");
    const held = await holdVaccination(p, 4, "11:00");
    await eventually(() => executionsOf(held.id, "prescreening"), (e) => expect(e[0]?.currentStates).toEqual(["AwaitAnswers"]));

    await advance(24 * HOUR + MINUTE);
    const released = await eventually(() => appointment(p, held.id), (a) => expect(a.status).toBe("cancelled"));
    expect(released.cancelReason).toBe("prescreening-not-answered");
    expect((await events(held.id)).at(-1)).toMatchObject({ type: "AppointmentCancelled", detail: { reason: "prescreening-not-answered" } });
    const late = await answer(p, held.id);
    expect(late.status).toBe(409);
    expect((await freeSlot(p, VACCINATION, held.date, "11:00"))?.freeDoctors).toBe(held.freeBefore);
  });

  it("nurse SLA missed → escalation event and a second wait; no decision by the deadline → released", async () => {
    const p = await patient("Escalation Path");
    const held = await holdVaccination(p, 3, "12:00");
    await eventually(() => answer(p, held.id), (r) => expect(r.status).toBe(200));
    await eventually(() => executionsOf(held.id, "prescreening"), (e) => expect(e[0]?.currentStates).toEqual(["AwaitDecision"]));

    await advance(4 * HOUR + MINUTE);
    await eventually(() => events(held.id), (e) => expect(e.map((x) => x.type)).toContain("PreScreeningEscalated"));
    const escalation = (await events(held.id)).find((e) => e.type === "PreScreeningEscalated")!;
    expect(escalation.detail).toMatchObject({ audience: ["nurse", "admin"] });
    expect(escalation.clinicId).toBe("london-central");
    const item = (await queue()).find((i) => i.appointmentId === held.id);
    expect(item).toMatchObject({ escalated: true });
    expect(item!.slaRemainingMinutes).toBeLessThan(0);
    // Still held, waiting again (the second wait).
    await eventually(() => executionsOf(held.id, "prescreening"), (e) => expect(e[0]).toMatchObject({ status: "RUNNING", currentStates: ["AwaitDecision"] }));
    expect((await appointment(p, held.id)).status).toBe("pending");

    // Nobody decides before the deadline (1 h before the start).
    await advanceTo(Date.parse(held.start) - HOUR + MINUTE);
    const released = await eventually(() => appointment(p, held.id), (a) => expect(a.status).toBe("cancelled"));
    expect(released.cancelReason).toBe("prescreening-not-decided");
    expect((await queue()).some((i) => i.appointmentId === held.id)).toBe(false);
    await eventually(() => executionsOf(held.id, "prescreening"), (e) => expect(e[0]?.status).toBe("SUCCEEDED"));
  });

  it("call-patient keeps the hold and extends the nurse's wait once; then the nurse approves", async () => {
    const p = await patient("Call Me");
    const held = await holdVaccination(p, 4, "14:00");
    await eventually(() => answer(p, held.id), (r) => expect(r.status).toBe(200));
    await advance(3 * HOUR);

    const call1 = await eventually(() => decide(nurse, held.id, "call-patient", "asking about allergies"), (r) => expect(r.status).toBe(200));
    expect(call1.body).toMatchObject({ state: "awaiting-decision", callNote: "asking about allergies" });
    // The SLA restarted from the call (4 h), instead of the 1 h that was left.
    expect(call1.body.slaRemainingMinutes).toBeGreaterThan(230);
    const call2 = await eventually(() => decide(nurse, held.id, "call-patient"), (r) => expect(r.status).toBe(409));
    expect(call2.body.error.code).toBe("CALL_PATIENT_USED");

    // 2 h later (past the original SLA, within the extended one): no escalation yet.
    await advance(2 * HOUR);
    expect((await events(held.id)).map((e) => e.type)).not.toContain("PreScreeningEscalated");
    expect((await appointment(p, held.id)).status).toBe("pending");

    const approved = await eventually(() => decide(nurse, held.id, "approve"), (r) => expect(r.status).toBe(200));
    expect(approved.body.state).toBe("approved");
    await eventually(() => appointment(p, held.id), (a) => expect(a.status).toBe("booked"));
  });

  it("two staff deciding at once: the task token lets exactly one decision through, and only it is recorded", async () => {
    const p = await patient("Two Deciders");
    const held = await holdVaccination(p, 5, "10:30");
    await eventually(() => answer(p, held.id), (r) => expect(r.status).toBe(200));
    await eventually(() => executionsOf(held.id, "prescreening"), (e) => expect(e[0]?.currentStates).toEqual(["AwaitDecision"]));

    const [byNurse, byAdmin] = await Promise.all([decide(nurse, held.id, "approve"), decide(admin, held.id, "reject")]);
    const statuses = [byNurse.status, byAdmin.status].sort();
    expect(statuses).toEqual([200, 409]);
    const winner = byNurse.status === 200 ? "approve" : "reject";
    const loser = byNurse.status === 200 ? byAdmin : byNurse;
    expect(loser.body.error.code).toMatch(/PRESCREENING_MOVED_ON|PRESCREENING_STATE/);

    const final = await eventually(() => appointment(p, held.id), (a) => expect(a.status).not.toBe("pending"));
    expect(final.status).toBe(winner === "approve" ? "booked" : "cancelled");
    const { data: audit } = await testDb().auditEntry.query.bySubject({ subjectType: "appointment", subjectId: held.id }).go();
    const decided = audit.filter((a) => a.action === "prescreening.decided");
    expect(decided).toHaveLength(1);
    expect(decided[0]!.details).toEqual({ decision: winner });
    expect(decided[0]!.actorId).toBe(winner === "approve" ? "demo-nurse" : "demo-admin");
  });

  it("the patient cancels while pending: hold released and the workflow ends at once", async () => {
    const p = await patient("Changed Mind");
    const held = await holdVaccination(p, 5, "15:00");
    await eventually(() => executionsOf(held.id, "prescreening"), (e) => expect(e[0]?.currentStates).toEqual(["AwaitAnswers"]));
    const res = await call(p, "POST", `/api/appointments/${held.id}/cancel`, {});
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("cancelled");
    await eventually(() => executionsOf(held.id, "prescreening"), (e) => expect(e[0]?.status).toBe("SUCCEEDED"));
    expect(await claimsOf(held.id)).toEqual([]);
  });

  it("a hold whose workflow never started is released by the runtime's sweeper once it lapses", async () => {
    const p = await patient("Orphan Hold");
    const date = weekdayFrom(await clockNow(), 5);
    const slot = await freeSlot(p, VACCINATION, date, "16:00");
    // Written as the booking handler writes it, then "the process dies" before StartExecution.
    const { bookAppointment } = await import("@carebook/core/appointment/booking");
    const orphan = await bookAppointment(testDb(), {
      regionId: "eu-west",
      patientId: p.sub,
      actor: { id: p.sub, role: "patient" },
      typeId: VACCINATION,
      clinicId: "london-central",
      start: Date.parse(slot!.start),
      now: await clockNow(),
    });
    expect(orphan.status).toBe("pending");
    expect((await freeSlot(p, VACCINATION, date, "16:00"))?.freeDoctors).toBe(slot!.freeDoctors - 1);

    // 15 minutes of hold, then the sweeper's next 5-minute round.
    await advance(21 * MINUTE);
    const swept = await eventually(() => appointment(p, orphan.appointmentId), (a) => expect(a.status).toBe("cancelled"));
    expect(swept.cancelReason).toBe("hold-expired");
    expect(await claimsOf(orphan.appointmentId)).toEqual([]);
    expect((await freeSlot(p, VACCINATION, date, "16:00"))?.freeDoctors).toBe(slot!.freeDoctors);
  });

  it("StartExecution fails → 503, the hold is released at once; a type without pre-screening still books", async () => {
    const p = await patient("Unlucky Start");
    const date = weekdayFrom(await clockNow(), 6);
    const slot = await freeSlot(p, VACCINATION, date, "09:00");
    // Step Functions unavailable: more failures than the SDK's retries of one call.
    expect((await api("POST", "/local/faults", { body: { stepFunctions: { StartExecution: 6 } } })).status).toBe(200);
    try {
      const res = await bookAt(p, VACCINATION, slot!.start);
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe("WORKFLOW_UNAVAILABLE");
      expect((await freeSlot(p, VACCINATION, date, "09:00"))?.freeDoctors).toBe(slot!.freeDoctors);
      const mine = await call(p, "GET", "/api/appointments");
      expect(mine.body.appointments).toEqual([expect.objectContaining({ status: "cancelled", cancelReason: "workflow-unavailable" })]);
      expect(await claimsOf(mine.body.appointments[0].id)).toEqual([]);

      // Booked at once, even though its reminders could not start (logged for the operator).
      const general = await freeSlot(p, "general-consultation", date, "11:00");
      const booked = await bookAt(p, "general-consultation", general!.start);
      expect(booked.status).toBe(201);
      expect(booked.body.status).toBe("booked");
      expect(await executionsOf(booked.body.id, "reminders")).toEqual([]);
    } finally {
      await api("POST", "/local/faults", { body: { stepFunctions: {} } });
    }
  });
});
