/**
 * `npm run bench`: numbers for the foundation's goals, printed, never asserted.
 *   1. contested booking: 200 concurrent requests over 10 slots → bookings, 409s, 5xx, double bookings
 *   2. booking throughput through the HTTP layer vs raw TransactWriteItems (same DynamoDB Local, same run)
 *   3. available-slots latency for 50 doctors × 14 days, and DynamoDB calls per request
 * Everything runs against one in-memory local runtime started here.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { TransactWriteCommand, type TransactWriteCommandInput } from "@aws-sdk/lib-dynamodb";
import { buildEvent } from "@carebook/core/events/schemas";
import { planClaims } from "@carebook/core/appointment/claims";
import { ensurePatientProfile } from "@carebook/core/patient";
import type { Doctor } from "@carebook/core/entities/index";
import { dynamo } from "../functions/lib/env";
import { startRuntime } from "../packages/local/src/runtime";
import { DEMO_REGION_ID, demoDoctors } from "../packages/local/src/seed";

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
/** BENCH_SECTIONS=1,3 runs only those sections. */
const sections = new Set((process.env.BENCH_SECTIONS ?? "1,2,3").split(","));
const rt = await startRuntime({ inMemory: true, port: 0 });
/** The events the previous section committed are consumed before a timed section starts: in
 * AWS their consumers are other Lambdas with their own capacity; here they would share the
 * process and DynamoDB Local with the requests being timed. */
const settle = () => rt.streams.drain();
console.log(`local runtime ready in ${rt.startupMs} ms at ${rt.url}`);

// ---------- helpers
async function post(path: string, token: string, body: unknown) {
  const res = await fetch(rt.url + path, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}
async function get(path: string, token: string) {
  const res = await fetch(rt.url + path, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as any };
}
async function pool<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** Patients straight into the issuer and the table: sign-up through HTTP would only measure scrypt. */
async function patients(n: number) {
  return pool(Array.from({ length: n }, (_, i) => i), 8, async (i) => {
    const email = `bench-${i}-${randomUUID()}@bench.carebook.test`;
    const user = await rt.issuer.addUser({ email, password: "bench-password-1", name: `Bench ${i}`, groups: ["patient"] });
    await ensurePatientProfile(rt.db, { patientId: user.sub, regionId: DEMO_REGION_ID, name: user.name, email, now: Date.now() });
    return { sub: user.sub, token: (await rt.issuer.issueTokens({ email, password: "bench-password-1" })).idToken };
  });
}

/** A weekday at least `weeks` weeks ahead (Monday + offset), yyyy-mm-dd. */
function weekday(weeks: number, offset = 0) {
  const d = new Date();
  d.setUTCHours(12, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() + ((8 - (d.getUTCDay() || 7)) % 7 || 7) + 7 * weeks + offset);
  return d.toISOString().slice(0, 10);
}

// ---------- a bench clinic with 50 doctors
const BENCH_CLINIC = "bench-clinic";
await rt.db.clinic.put({
  clinicId: BENCH_CLINIC, regionId: DEMO_REGION_ID, name: "Bench Clinic", timeZone: "Europe/London",
  address: { line1: "1 Bench Road", city: "London", postcode: "E1 1AA", country: "GB" }, active: true,
}).go();
const template = demoDoctors[0]!.template;
const benchDoctors: Doctor[] = Array.from({ length: 50 }, (_, i) => ({
  doctorId: `bench-doctor-${String(i).padStart(2, "0")}`, regionId: DEMO_REGION_ID, name: `Dr Bench ${i}`,
  clinicIds: [BENCH_CLINIC], skills: ["general-practice"], languages: i % 3 ? ["en"] : ["en", "pl"],
  template, overrides: [], active: true,
}));
await pool(benchDoctors, 8, (d) => rt.db.doctor.put(d).go());

// ---------- 1. contested booking
if (sections.has("1")) {
  const day = weekday(3);
  const racers = await patients(200);
  const list = await get(`/api/appointments/available-slots?typeId=general-consultation&clinicId=london-central&from=${day}&to=${day}`, racers[0]!.token);
  const targets = (list.body.slots as Array<{ start: string; freeDoctors: number }>).slice(0, 10);
  const capacity = targets.reduce((n, s) => n + s.freeDoctors, 0);
  const started = performance.now();
  const results = await Promise.all(
    racers.map((p, i) => post("/api/appointments", p.token, { typeId: "general-consultation", clinicId: "london-central", start: targets[i % 10]!.start })),
  );
  const elapsed = performance.now() - started;
  const count = (f: (s: number) => boolean) => results.filter((r) => f(r.status)).length;

  // Double bookings, looked for in the table itself: a (doctor, unit) held by two appointments
  // cannot exist as two items, so also look for two active appointments of one doctor overlapping.
  const claims = (await rt.db.claim.scan.go({ pages: "all" })).data;
  const byKey = new Map<string, Set<string>>();
  for (const c of claims) byKey.set(`${c.resource}|${c.unit}`, (byKey.get(`${c.resource}|${c.unit}`) ?? new Set()).add(c.appointmentId));
  const sharedUnits = [...byKey.values()].filter((s) => s.size > 1).length;
  const appointments = (await rt.db.appointment.query.byRegionTime({ regionId: DEMO_REGION_ID }).begins({ start: day }).go({ pages: "all" }))
    .data.filter((a) => a.status === "booked" || a.status === "pending");
  let overlapping = 0;
  for (const a of appointments) for (const b of appointments) {
    if (a.appointmentId < b.appointmentId && a.doctorId === b.doctorId && a.blockStart < b.blockEnd && b.blockStart < a.blockEnd) overlapping++;
  }
  console.log(`\n1. contested booking: 200 concurrent requests over 10 slots (capacity ${capacity} doctor-slots)`);
  console.log(`   booked ${count((s) => s === 201)}, 409 ${count((s) => s === 409)}, 5xx ${count((s) => s >= 500)}, other ${count((s) => s !== 201 && s !== 409 && s < 500)} in ${elapsed.toFixed(0)} ms`);
  console.log(`   double bookings: ${overlapping} overlapping appointment pairs, ${sharedUnits} claim units shared (must be 0 and 0)`);
}

// ---------- 2. throughput: HTTP booking vs raw TransactWriteItems
// At concurrency 1 the booking's six reads run in parallel and overlap; at 10, DynamoDB Local is
// saturated and every read costs throughput, so both are reported.
if (sections.has("2")) {
  const N = Number(process.env.BENCH_BOOKINGS ?? 200);
  const doc = rt.db.client;
  let week = 5;
  console.log(`\n2. booking throughput (${N} bookings per run; raw = the same 10-item TransactWriteItems, sent directly)`);
  for (const width of [1, CONCURRENCY]) {
    const day = weekday(week++);
    const people = await patients(N);
    const list = await get(`/api/appointments/available-slots?typeId=general-consultation&clinicId=${BENCH_CLINIC}&from=${day}&to=${day}`, people[0]!.token);
    const starts = (list.body.slots as Array<{ start: string }>).map((s) => s.start);
    // Spread the bookings over the day's slots so they rarely contend (contention is section 1).
    const jobs = people.map((p, i) => ({ p, start: starts[i % starts.length]! }));
    await settle();
    let t = performance.now();
    const results = await pool(jobs, width, (j) => post("/api/appointments", j.p.token, { typeId: "general-consultation", clinicId: BENCH_CLINIC, start: j.start }));
    const httpMs = performance.now() - t;
    const ok = results.filter((r) => r.status === 201).length;

    // The same write, raw: the exact TransactItems a booking sends (4 doctor claims, 3 patient
    // claims, the appointment with its three index keys, the audit entry, the domain event), built by ElectroDB
    // for synthetic doctors, and sent straight to DynamoDB Local without any of the layers.
    const base = Date.parse(`${weekday(week++)}T09:00:00Z`);
    const rawItems = Array.from({ length: N }, (_, i) => {
      const id = randomUUID();
      const start = base + i * 20 * 60_000;
      const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
      const claims = planClaims({ doctorId: `raw-doctor-${i % 50}`, patientId: `raw-patient-${i}`, blockStart: start, blockEnd: start + 20 * 60_000, start, end: start + 15 * 60_000 });
      const now = iso(Date.now());
      return rt.db.service.transaction
        .write(({ claim, appointment, auditEntry, domainEvent }) => [
          ...[...claims.doctor, ...claims.patient].map((c) => claim.create({ ...c, appointmentId: id, expiresAt: 2_000_000_000 }).commit()),
          appointment.create({
            appointmentId: id, regionId: DEMO_REGION_ID, clinicId: BENCH_CLINIC, typeId: "general-consultation",
            patientId: `raw-patient-${i}`, doctorId: `raw-doctor-${i % 50}`, doctorName: "Dr Raw", status: "booked",
            start: iso(start), end: iso(start + 15 * 60_000), blockStart: iso(start), blockEnd: iso(start + 20 * 60_000),
            timeZone: "Europe/London", assignment: { rule: "least-loaded", explanation: "raw", candidates: 1 }, version: 1,
            history: [{ at: now, action: "booked", by: "bench", status: "booked", start: iso(start), doctorId: `raw-doctor-${i % 50}` }],
            createdAt: now, updatedAt: now,
          }).commit(),
          auditEntry.create({ auditId: randomUUID(), subjectType: "appointment", subjectId: id, clinicId: BENCH_CLINIC, action: "appointment.booked", actorId: "bench", actorRole: "patient", at: now, details: { start: iso(start) } }).commit(),
          domainEvent
            .create(
              buildEvent("AppointmentBooked", { appointmentId: id, clinicId: BENCH_CLINIC, regionId: DEMO_REGION_ID }, now, {
                patientId: `raw-patient-${i}`, start: iso(start), end: iso(start + 15 * 60_000), typeId: "general-consultation", doctorId: `raw-doctor-${i % 50}`, version: 1,
              }),
            )
            .commit(),
        ])
        .params();
    });
    await settle();
    t = performance.now();
    await pool(rawItems, width, (params) => doc.send(new TransactWriteCommand(params as TransactWriteCommandInput)));
    const rawMs = performance.now() - t;
    const httpRate = (ok / httpMs) * 1000;
    const rawRate = (N / rawMs) * 1000;
    console.log(`   concurrency ${width}: HTTP ${ok}/${N} booked = ${httpRate.toFixed(1)}/s; raw ${rawRate.toFixed(1)} tx/s; ratio ${(httpRate / rawRate).toFixed(2)}× (goal ≥ 0.7×)`);
  }
}

// ---------- 3. available-slots latency, 50 doctors × 14 days
if (sections.has("3")) {
  const [viewer] = await patients(1);
  // Some existing bookings in the window, so busy blocks are part of the work.
  const from = weekday(10);
  const to = weekday(10, 13);
  const counts = new Map<string, number>();
  dynamo().raw.middlewareStack.add(
    (next, context) => async (args) => {
      counts.set(context.commandName!, (counts.get(context.commandName!) ?? 0) + 1);
      return next(args);
    },
    { step: "initialize", name: "benchCount" },
  );
  const path = `/api/appointments/available-slots?typeId=general-consultation&clinicId=${BENCH_CLINIC}&from=${from}&to=${to}`;
  const warm = await get(path, viewer!.token);
  const slotCount = warm.body.slots.length;
  const bookers = await patients(100);
  await pool(bookers, CONCURRENCY, (p) => post("/api/appointments", p.token, { typeId: "general-consultation", clinicId: BENCH_CLINIC, start: warm.body.slots[Math.floor(Math.random() * slotCount)].start }));
  await settle();
  counts.clear();
  const R = Number(process.env.BENCH_SLOT_REQUESTS ?? 300);
  const times: number[] = [];
  let slots = 0;
  for (let i = 0; i < R; i++) {
    const t = performance.now();
    const res = await get(path, viewer!.token);
    times.push(performance.now() - t);
    slots = res.body.slots.length;
  }
  times.sort((a, b) => a - b);
  const perRequest = [...counts.entries()].map(([k, v]) => `${k.replace("Command", "")} ${(v / R).toFixed(1)}`).join(", ");
  console.log(`\n3. available-slots, 50 doctors × 14 days (${slots} slots per answer, 100 bookings in the window), ${R} sequential requests`);
  console.log(`   p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms (goal p99 ≤ 50 ms)`);
  console.log(`   DynamoDB calls per request: ${perRequest} (goal ≤ 2 queries)`);
}

await rt.stop();
process.exit(0);
