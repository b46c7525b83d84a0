/**
 * Demo data for the local runtime, written on first start (documented in the README).
 * Region eu-west: London Central (Europe/London) and Amsterdam Zuid (Europe/Amsterdam),
 * eight doctors with different skills and languages, Mon–Fri 09:00–17:00 local, four visit types.
 */
import { prescreeningConfigSchema, type PrescreeningConfig } from "@carebook/core/prescreening/config";
import { DateTime } from "luxon";
import { planClaims } from "@carebook/core/appointment/claims";
import { auditItem, claimItems, eventItem } from "@carebook/core/appointment/tx";
import type { Appointment, AppointmentType, Clinic, Db, Doctor, Region, StaffMember } from "@carebook/core/entities/index";
import { toUtcIso } from "@carebook/core/schedule/slots";
import { ensurePatientProfile } from "@carebook/core/patient";
import type { WeeklyTemplate } from "@carebook/core/schedule/types";

export const DEMO_REGION_ID = "eu-west";
export const DEMO_PASSWORD = "carebook-demo-1";

const weekdays9to5: WeeklyTemplate = {
  mon: [{ start: "09:00", end: "17:00" }],
  tue: [{ start: "09:00", end: "17:00" }],
  wed: [{ start: "09:00", end: "17:00" }],
  thu: [{ start: "09:00", end: "17:00" }],
  fri: [{ start: "09:00", end: "17:00" }],
  sat: [],
  sun: [],
};

export const demoRegion: Region = {
  regionId: DEMO_REGION_ID,
  name: "Europe (West)",
  awsRegion: "eu-west-1",
  defaultTimeZone: "Europe/London",
  retentionDays: 90,
  reminderOffsetsMinutes: [24 * 60, 120],
};

export const demoClinics: Clinic[] = [
  {
    clinicId: "london-central",
    regionId: DEMO_REGION_ID,
    name: "London Central",
    timeZone: "Europe/London",
    address: { line1: "12 Harley Street", city: "London", postcode: "W1G 9PG", country: "GB" },
    phone: "+44 20 7946 0000",
    active: true,
  },
  {
    clinicId: "amsterdam-zuid",
    regionId: DEMO_REGION_ID,
    name: "Amsterdam Zuid",
    timeZone: "Europe/Amsterdam",
    address: { line1: "Gustav Mahlerlaan 10", city: "Amsterdam", postcode: "1082 PP", country: "NL" },
    phone: "+31 20 123 4567",
    active: true,
  },
];

const type = (t: Omit<AppointmentType, "regionId" | "active" | "bookingHorizonDays">): AppointmentType => ({
  regionId: DEMO_REGION_ID,
  active: true,
  bookingHorizonDays: 365,
  ...t,
});

/** The vaccination type's questionnaire and time limits (the defaults of prescreening/config.ts). */
export const vaccinationPrescreening: PrescreeningConfig = prescreeningConfigSchema.parse({
  questionnaire: {
    title: "Before your vaccination",
    questions: [
      { id: "vaccine", kind: "choice", text: "Which vaccine are you booking for?", options: ["influenza", "covid-19", "hepatitis-b", "tetanus", "other"] },
      { id: "fever", kind: "yes-no", text: "Do you have a fever or feel unwell today?" },
      { id: "previous-reaction", kind: "yes-no", text: "Have you ever had a severe allergic reaction to a vaccine?" },
      { id: "allergies", kind: "text", text: "Allergies to medicines, food or latex (if any)", required: false, maxLength: 500 },
      { id: "pregnant", kind: "choice", text: "Are you pregnant or could you be?", options: ["no", "yes", "not-sure", "not-applicable"] },
      { id: "blood-thinners", kind: "yes-no", text: "Do you take blood-thinning medication?" },
    ],
  },
});

export const demoTypes: AppointmentType[] = [
  type({
    typeId: "general-consultation",
    name: "General consultation",
    description: "See a general practitioner about a new concern",
    durationMinutes: 15,
    bufferBeforeMinutes: 0,
    bufferAfterMinutes: 5,
    minimumNoticeMinutes: 60,
    requiresPrescreening: false,
    requiredSkill: "general-practice",
  }),
  type({
    typeId: "follow-up",
    name: "Follow-up",
    description: "A short follow-up on an earlier visit",
    durationMinutes: 10,
    bufferBeforeMinutes: 0,
    bufferAfterMinutes: 5,
    minimumNoticeMinutes: 60,
    requiresPrescreening: false,
    requiredSkill: "general-practice",
  }),
  type({
    typeId: "vaccination",
    name: "Vaccination",
    description: "A vaccination; a nurse pre-screens your answers first",
    durationMinutes: 10,
    bufferBeforeMinutes: 0,
    bufferAfterMinutes: 5,
    minimumNoticeMinutes: 24 * 60,
    requiresPrescreening: true,
    prescreening: vaccinationPrescreening,
    requiredSkill: "general-practice",
  }),
  type({
    typeId: "specialist-cardiology",
    name: "Specialist consultation (cardiology)",
    description: "A consultation with a cardiologist",
    durationMinutes: 30,
    bufferBeforeMinutes: 0,
    bufferAfterMinutes: 10,
    minimumNoticeMinutes: 24 * 60,
    requiresPrescreening: false,
    requiredSkill: "cardiology",
  }),
];

const doctor = (
  doctorId: string,
  name: string,
  clinicId: string,
  skills: string[],
  languages: string[],
  userSub?: string,
): Doctor => ({
  doctorId,
  regionId: DEMO_REGION_ID,
  name,
  userSub,
  clinicIds: [clinicId],
  skills,
  languages,
  template: weekdays9to5,
  overrides: [],
  active: true,
});

export const DEMO_DOCTOR_SUB = "demo-doctor";
/** A doctor of the other clinic (Amsterdam Zuid): sees none of London Central's data. */
export const DEMO_DOCTOR_2_SUB = "demo-doctor-amsterdam";

export const demoDoctors: Doctor[] = [
  doctor("amelia-hughes", "Dr Amelia Hughes", "london-central", ["general-practice"], ["en", "fr"], DEMO_DOCTOR_SUB),
  doctor("rajesh-patel", "Dr Rajesh Patel", "london-central", ["general-practice", "cardiology"], ["en", "hi"]),
  doctor("sofia-kowalska", "Dr Sofia Kowalska", "london-central", ["general-practice"], ["en", "pl"]),
  doctor("james-okafor", "Dr James Okafor", "london-central", ["general-practice"], ["en", "yo"]),
  doctor("lucia-garcia", "Dr Lucía García", "london-central", ["general-practice"], ["en", "es"]),
  doctor("mei-chen", "Dr Mei Chen", "london-central", ["cardiology"], ["en", "zh"]),
  doctor("pieter-de-vries", "Dr Pieter de Vries", "amsterdam-zuid", ["general-practice"], ["nl", "en"], DEMO_DOCTOR_2_SUB),
  doctor("anna-bakker", "Dr Anna Bakker", "amsterdam-zuid", ["general-practice", "cardiology"], ["nl", "de", "en"]),
  doctor("daan-visser", "Dr Daan Visser", "amsterdam-zuid", ["general-practice"], ["nl", "en"]),
];

export interface DemoUser {
  sub: string;
  email: string;
  name: string;
  groups: string[];
  /**
   * Staff only (the staff pool requires MFA): the base32 TOTP secret the account is enrolled
   * with. Fixed and published in the README, so anyone can compute the demo's codes
   * (`npm run totp -- <email>`); local demo accounts only, never a real secret.
   */
  totpSecret?: string;
}

export const demoUsers: DemoUser[] = [
  { sub: "demo-patient", email: "patient@demo.carebook.test", name: "Pat Demo", groups: ["patient"] },
  { sub: DEMO_DOCTOR_SUB, email: "doctor@demo.carebook.test", name: "Dr Amelia Hughes", groups: ["doctor"], totpSecret: "CAREBOOKDEMODOCTORLONDONTOTP2345" },
  { sub: DEMO_DOCTOR_2_SUB, email: "doctor.amsterdam@demo.carebook.test", name: "Dr Pieter de Vries", groups: ["doctor"], totpSecret: "CAREBOOKDEMODOCTORAMSTERDAMTOTP2" },
  { sub: "demo-nurse", email: "nurse@demo.carebook.test", name: "Nora Nurse", groups: ["nurse"], totpSecret: "CAREBOOKDEMONURSETOTPSECRET23456" },
  { sub: "demo-admin", email: "admin@demo.carebook.test", name: "Ada Admin", groups: ["admin"], totpSecret: "CAREBOOKDEMOADMINTOTPSECRET23456" },
  { sub: "demo-support", email: "support@demo.carebook.test", name: "Sam Support", groups: ["support"], totpSecret: "CAREBOOKDEMOSUPPORTTOTPSECRET234" },
];

/** The staff records of the demo staff accounts: who works where. */
export const demoStaff: StaffMember[] = [
  { sub: DEMO_DOCTOR_SUB, name: "Dr Amelia Hughes", roles: ["doctor"], clinicIds: ["london-central"], doctorId: "amelia-hughes" },
  { sub: DEMO_DOCTOR_2_SUB, name: "Dr Pieter de Vries", roles: ["doctor"], clinicIds: ["amsterdam-zuid"], doctorId: "pieter-de-vries" },
  { sub: "demo-nurse", name: "Nora Nurse", roles: ["nurse"], clinicIds: ["london-central"] },
  // The region's administrator: every clinic.
  { sub: "demo-admin", name: "Ada Admin", roles: ["admin"], clinicIds: demoClinics.map((c) => c.clinicId) },
  // Support helps patients of any clinic; it reaches appointments through the patient, not a clinic.
  { sub: "demo-support", name: "Sam Support", roles: ["support"], clinicIds: [] },
].map((m) => ({
  ...m,
  regionId: DEMO_REGION_ID,
  email: demoUsers.find((u) => u.sub === m.sub)!.email,
  active: true,
}));

/** Staff records missing from data seeded before they existed are added on every start. */
async function ensureDemoStaff(db: Db): Promise<void> {
  for (const member of demoStaff) {
    await db.staffMember
      .create(member)
      .go()
      .catch((error: unknown) => {
        if (!/conditional request failed/i.test(String((error as Error).message))) throw error;
      });
  }
  const amsterdam = demoDoctors.find((d) => d.userSub === DEMO_DOCTOR_2_SUB)!;
  await db.doctor.patch({ doctorId: amsterdam.doctorId }).set({ userSub: DEMO_DOCTOR_2_SUB }).go();
}

const DEMO_DAY_STEP_MINUTES = 20; // a general consultation and its buffer

/**
 * The demo doctor's day: on every start, the demo patient has a general consultation with Dr
 * Hughes that has already started today (or, before 09:20 or on a weekend, on the last working
 * day), so the doctor can check the patient in and complete it, and one later today when there
 * is time left. Written as a booking writes them — claims taken with their conditions, audit
 * entry, AppointmentBooked event — but without the booking's notice rules, which would refuse a
 * time that has started. Ids are per date and time, so a restart adds nothing twice.
 */
export async function seedDemoDay(db: Db, now = Date.now()): Promise<string[]> {
  const zone = "Europe/London";
  const starts: number[] = [];
  for (let day = DateTime.fromMillis(now, { zone }).startOf("day"); starts.length === 0; day = day.minus({ days: 1 })) {
    if (day.weekday > 5) continue;
    const grid = Array.from({ length: (8 * 60) / DEMO_DAY_STEP_MINUTES }, (_, i) => day.plus({ minutes: 9 * 60 + i * DEMO_DAY_STEP_MINUTES }).toMillis());
    const started = grid.filter((t) => t <= now - 5 * 60_000);
    if (started.length === 0) continue;
    starts.push(started.at(-1)!);
    const later = grid.find((t) => t >= now + 60 * 60_000);
    if (later !== undefined && DateTime.fromMillis(later, { zone }).hasSame(day, "day")) starts.push(later);
  }
  const made: string[] = [];
  for (const start of starts) {
    const id = `demo-${DateTime.fromMillis(start, { zone }).toFormat("yyyy-MM-dd-HHmm")}`;
    if ((await db.appointment.get({ appointmentId: id }).go()).data) continue;
    if (await writeDemoBooking(db, id, start, now)) made.push(id);
  }
  return made;
}

async function writeDemoBooking(db: Db, appointmentId: string, start: number, now: number): Promise<boolean> {
  const end = start + 15 * 60_000;
  const blockEnd = end + 5 * 60_000;
  const doctor = demoDoctors.find((d) => d.userSub === DEMO_DOCTOR_SUB)!;
  const patient = demoUsers.find((u) => u.groups.includes("patient"))!;
  const iso = (t: number) => toUtcIso(t);
  const actor = { id: "system:demo-seed", role: "system" };
  const appointment: Appointment = {
    appointmentId,
    regionId: DEMO_REGION_ID,
    clinicId: "london-central",
    typeId: "general-consultation",
    patientId: patient.sub,
    doctorId: doctor.doctorId,
    doctorName: doctor.name,
    status: "booked",
    start: iso(start),
    end: iso(end),
    blockStart: iso(start),
    blockEnd: iso(blockEnd),
    timeZone: "Europe/London",
    reason: "Demo: follow-up on a persistent cough",
    assignment: { rule: "continuity", explanation: `${doctor.name} saw you before`, candidates: 1 },
    version: 1,
    history: [{ at: iso(now), action: "booked", by: actor.id, status: "booked", start: iso(start), doctorId: doctor.doctorId }],
    createdAt: iso(now),
    updatedAt: iso(now),
  };
  const claims = planClaims({ doctorId: doctor.doctorId, patientId: patient.sub, blockStart: start, blockEnd, start, end });
  const result = await db.service.transaction
    .write((tx) => [
      ...claimItems(tx, [...claims.doctor, ...claims.patient], appointmentId, blockEnd, now),
      tx.appointment.create(appointment).commit(),
      auditItem(tx, appointment, "appointment.booked", actor, now, { start: appointment.start, doctorId: doctor.doctorId, seeded: true }),
      eventItem(tx, appointment, "AppointmentBooked", now, {
        patientId: appointment.patientId,
        start: appointment.start,
        end: appointment.end,
        typeId: appointment.typeId,
        doctorId: appointment.doctorId,
        version: 1,
      }),
    ])
    .go();
  // Taken (someone booked that time in this data): no demo appointment then.
  return !result.canceled;
}

/** Writes the demo catalog once: if the region exists, the data was seeded before. */
export async function seedDemoData(db: Db, now = Date.now()): Promise<boolean> {
  const existing = await db.region.get({ regionId: DEMO_REGION_ID }).go();
  if (existing.data) {
    // Data kept from before pre-screening existed: give the demo types their questionnaire.
    for (const t of demoTypes.filter((t) => t.prescreening)) {
      const { data } = await db.appointmentType.get({ typeId: t.typeId }).go();
      if (data && !data.prescreening) await db.appointmentType.patch({ typeId: t.typeId }).set({ prescreening: t.prescreening }).go();
    }
    await ensureDemoStaff(db);
    await seedDemoDay(db, now);
    return false;
  }
  await Promise.all([
    ...demoClinics.map((c) => db.clinic.put(c).go()),
    ...demoTypes.map((t) => db.appointmentType.put(t).go()),
    ...demoDoctors.map((d) => db.doctor.put(d).go()),
  ]);
  await ensureDemoStaff(db);
  for (const user of demoUsers.filter((u) => u.groups.includes("patient"))) {
    await ensurePatientProfile(db, { patientId: user.sub, regionId: DEMO_REGION_ID, name: user.name, email: user.email, now });
  }
  // The region goes last: it marks the seed as complete.
  await db.region.put(demoRegion).go();
  await seedDemoDay(db, now);
  return true;
}
