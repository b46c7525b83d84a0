/**
 * The administrator's and support's screens in a real browser: the metrics dashboard shows
 * appointments booked through the API (aggregated asynchronously from events), the audit log
 * finds an appointment's entries and pages by cursor, clinics / visit types / doctors are
 * created, edited (with the API's 400 details and 409s shown), deactivated and reactivated, a
 * visit type's questionnaire is written in the editor (keyboard: add, reorder), a doctor leaving
 * a clinic has their booking moved ("save and move them"), a doctor's leave is approved with its
 * outcome, and support cancels a caller's appointment with a reason.
 * axe on every page with data shown; a screenshot of each; no console errors.
 *
 * Days far ahead (weeks 31–34), Amsterdam Zuid for the metrics: other browser files book in
 * the first weeks, in London.
 */
import { randomUUID } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, book, LONDON, slots, weekdayAhead } from "../integration/harness";
import { closeSession, expectNoAxeViolations, launchBrowser, newPatient, openSession, screenshot, signIn } from "./browser";

const AMSTERDAM = "amsterdam-zuid";
const ADMIN = "admin@demo.carebook.test";
const SUPPORT = "support@demo.carebook.test";
const DOCTOR = "doctor@demo.carebook.test";
/** The browser's zone (browser.ts signedInContext). */
const BROWSER_ZONE = "America/New_York";

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** Error responses the tests provoke on purpose (400, 409): Chromium logs each failed fetch. */
const EXPECTED_FAILED_FETCH = /Failed to load resource: the server responded with a status of (400|409)/;

const open = (email: string) => openSession(browser, email, EXPECTED_FAILED_FETCH);
const close = closeSession;

async function heading(page: Page, name: string | RegExp) {
  await page.getByRole("heading", { level: 1, name }).waitFor();
}

/** Delivers what the table's stream holds to its consumers now (metrics, audit chain). */
async function drain() {
  expect((await api("POST", "/local/streams/drain")).status).toBe(204);
}

/** A new patient booked at the `index`-th free slot of the day (General consultation). */
async function bookNth(clinicId: string, day: string, index: number, name: string) {
  const patient = await newPatient(name);
  const free = await slots(patient.token, { clinicId, from: day, to: day });
  const slot = free[index];
  if (!slot) throw new Error(`no slot #${index} on ${day} at ${clinicId}`);
  const res = await book(patient.token, slot.start, { clinicId });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { patient, appointment: res.body as { id: string; start: string; doctor: { id: string; name: string } } };
}

function dateIn(zone: string, ms = Date.now()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(ms);
}
const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** The id of the element that has focus. */
const focusedId = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id);
const focusedLabel = (page: Page) =>
  page.evaluate(
    () => (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } | null } }).document.activeElement?.getAttribute("aria-label"),
  );

/**
 * Gives the doctor hours at Amsterdam Zuid on `day` (09:00–10:00), then books every Amsterdam
 * doctor free at 09:00, so one booking is theirs and no one is free to take it over.
 */
async function bookEveryAmsterdamDoctor(doctorId: string, day: string) {
  const hours = await api("POST", "/api/staff/availability", {
    token: await signIn(ADMIN),
    body: { doctorId, overrides: [{ date: day, intervals: [{ start: "09:00", end: "10:00" }] }] },
  });
  expect(hours.status, JSON.stringify(hours.body)).toBe(200);
  const first = await newPatient("Deactivation 0");
  const slot = (await slots(first.token, { clinicId: AMSTERDAM, from: day, to: day })).find((x) => x.localStart.startsWith(`${day}T09:00`))!;
  expect(slot.freeDoctors).toBe(4);
  const booked: string[] = [];
  for (let i = 0; i < slot.freeDoctors; i++) {
    const patient = i === 0 ? first : await newPatient(`Deactivation ${i}`);
    const res = await book(patient.token, slot.start, { clinicId: AMSTERDAM });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    booked.push(res.body.doctor.id);
  }
  expect(booked).toContain(doctorId);
}

describe("admin", () => {
  it("metrics: appointments booked through the API show in the totals, the charts and their tables", async () => {
    const day = weekdayAhead(31, 2);
    for (let i = 0; i < 3; i++) await bookNth(AMSTERDAM, day, i * 3, `Metrics ${i}`);
    await drain();

    const s = await open(ADMIN);
    const { page } = s;
    await page.goto("/");
    await heading(page, "Metrics"); // the admin's home page
    // Default range: the last 30 days up to 14 days ahead (browser's date).
    const today = dateIn(BROWSER_ZONE);
    expect(await page.getByLabel("First day").inputValue()).toBe(addDays(today, -30));
    expect(await page.getByLabel("Last day").inputValue()).toBe(addDays(today, 14));
    await page.locator('[data-tile="bookings"]').waitFor();

    // The week of the bookings, at Amsterdam Zuid.
    await page.getByLabel("Clinic", { exact: true }).selectOption({ label: "Amsterdam Zuid" });
    await page.getByLabel("First day").fill(addDays(day, -1));
    await page.getByLabel("Last day").fill(addDays(day, 3));
    await page.getByRole("button", { name: "Show", exact: true }).click();
    await page.waitForURL(/clinicId=amsterdam-zuid/);

    // Aggregated from events within seconds: refresh until the three show.
    const bookings = page.locator('[data-tile="bookings"] .tile-value');
    await expect
      .poll(
        async () => {
          const text = await bookings.textContent();
          if (text !== "3") await page.getByRole("button", { name: "Refresh" }).click();
          return text;
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe("3");
    expect(await page.locator('[data-tile="cancellations"] .tile-value').textContent()).toBe("0");
    expect(await page.locator('[data-tile="utilisation"] .tile-value').textContent()).toMatch(/^\d+(\.\d)?%$/);
    expect(await page.locator('[data-tile="lead-time"] .tile-note').textContent()).toContain("over 3 bookings");

    // Three charts, each with its heading, a focusable chart and its table.
    for (const [chart, title] of [
      ["bookings", "Bookings per day"],
      ["utilisation", "Utilisation per day"],
      ["no-shows", "No-shows per day"],
    ] as const) {
      const section = page.locator(`[data-chart="${chart}"]`);
      expect(await section.getByRole("heading", { level: 3 }).textContent()).toBe(title);
      // The chart itself: named, and in the tab order (arrow keys move its tooltip).
      const svg = section.getByRole("application");
      await svg.waitFor();
      expect(await svg.getAttribute("tabindex")).toBe("0");
      await section.locator("summary").click();
    }
    expect(await page.locator('[data-chart="bookings"] .recharts-bar-rectangle').count()).toBeGreaterThan(0);
    const row = page.locator(`[data-chart="bookings"] tr[data-day="${day}"] td`);
    expect(await row.allTextContents()).toEqual(["3", "0"]);
    expect(await page.locator(`[data-chart="utilisation"] tr[data-day="${day}"] td`).first().textContent()).toMatch(/^\d+(\.\d)?%$/);
    expect(await page.locator('[data-chart="bookings"] p.muted').textContent()).toMatch(/^3 bookings and 0 cancellations; the busiest day is /);

    // The chart takes keyboard focus.
    await page.locator('[data-chart="bookings"]').getByRole("application").focus();
    await page.keyboard.press("ArrowRight");
    await page.locator('[data-chart="bookings"] .recharts-tooltip-wrapper').waitFor();

    await screenshot(page, "admin-metrics");
    await expectNoAxeViolations(page, "admin metrics (tables shown)");

    // An impossible range is refused in the form, next to the field.
    await page.getByLabel("Last day").fill(addDays(day, -5));
    await page.getByRole("button", { name: "Show", exact: true }).click();
    await page.getByText("The last day must not be before the first").waitFor();
    expect(await page.getByLabel("Last day").getAttribute("aria-invalid")).toBe("true");
    await expectNoAxeViolations(page, "admin metrics (range error)");
    await close(s);
  });

  it("audit log: an appointment's entries by its id, then its patient's by actor, a page at a time", async () => {
    const day = weekdayAhead(32, 3);
    // One patient books and cancels six times: twelve entries by them, two per appointment.
    const patient = await newPatient("Audit Trail");
    const free = await slots(patient.token, { clinicId: LONDON, from: day, to: day });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await book(patient.token, free[i * 2]!.start);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      ids.push(res.body.id);
      const cancel = await api("POST", `/api/appointments/${res.body.id}/cancel`, { token: patient.token, body: { reason: "testing the audit log" } });
      expect(cancel.status).toBe(200);
    }
    await drain();

    const s = await open(ADMIN);
    const { page } = s;
    await page.goto("/admin/audit");
    await heading(page, "Audit log");
    await page.getByText("Choose what to look for above.").waitFor();
    // No filter: the form says what is missing.
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByText("Give an appointment id, an actor or a clinic (at least one)").waitFor();

    await page.getByLabel("Appointment id").fill(ids[0]!);
    await page.getByRole("button", { name: "Search" }).click();
    const rows = page.locator("table.audit tbody tr");
    await expect.poll(() => rows.count()).toBe(2);
    // The chainer links entries within seconds: search again until both are chained.
    await expect
      .poll(
        async () => {
          const pending = await page.getByText("Not chained yet").count();
          if (pending > 0) await page.getByRole("button", { name: "Search" }).click();
          return pending;
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe(0);
    const actions = await page.locator("table.audit tbody tr td:nth-child(3)").allTextContents();
    expect(actions.map((a) => a.replace(/^appointment\./, ""))).toEqual(["cancelled", "booked"]);
    expect(await rows.first().locator("td:nth-child(6)").textContent()).toMatch(/^#\d+ on \d{4}-\d{2}-\d{2}[0-9a-f]{12}…$/);
    await rows.first().locator("summary").click();
    expect(await rows.first().locator("pre.json").textContent()).toContain("testing the audit log");
    await screenshot(page, "admin-audit");
    await expectNoAxeViolations(page, "admin audit (by appointment)");

    // The actor of an entry: everything the patient did, 10 at a time.
    await rows.first().locator("td:nth-child(2) button.link").click();
    await page.waitForURL(/actor=/);
    expect(await page.getByLabel("Appointment id").inputValue()).toBe("");
    await page.getByLabel("Entries per page").selectOption("10");
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => rows.count()).toBe(10);
    await page.getByRole("button", { name: "Load more" }).click();
    await expect.poll(() => rows.count()).toBe(12);
    await page.getByText("That is all.").waitFor();
    await expectNoAxeViolations(page, "admin audit (by actor, two pages)");
    await close(s);
  });

  it("clinics: add (with the form's own checks), edit, a conflicting edit, deactivate", async () => {
    const suffix = randomUUID().slice(0, 8);
    const s = await open(ADMIN);
    const { page } = s;
    await page.goto("/admin/clinics");
    await heading(page, "Clinics");
    await page.locator('tr[data-clinic="london-central"]').waitFor();
    await screenshot(page, "admin-clinics");
    await expectNoAxeViolations(page, "admin clinics");

    await page.getByRole("button", { name: "Add a clinic" }).click();
    await page.getByRole("heading", { level: 2, name: "Add a clinic" }).waitFor();
    await page.getByRole("button", { name: "Add clinic" }).click();
    await page.getByText("Enter the clinic's name").waitFor();
    expect(await page.getByLabel("Clinic id").getAttribute("aria-invalid")).toBe("true");
    // Focus moves to the first field at fault.
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id)).toBe(
      await page.getByLabel("Clinic id").getAttribute("id"),
    );
    await screenshot(page, "admin-clinic-form-errors");
    await expectNoAxeViolations(page, "admin clinics (form with errors)");

    await page.getByLabel("Clinic id").fill(`browser-${suffix}`);
    await page.getByLabel("Name").fill(`Browser Clinic ${suffix}`);
    await page.getByLabel("Time zone").fill("Europe/Dublin");
    await page.getByLabel("Street address").fill("1 Test Street");
    await page.getByLabel("City").fill("Dublin");
    await page.getByLabel("Postcode").fill("D01 F5P2");
    await page.getByLabel("Country code").fill("ie");
    await page.getByLabel("Phone (optional)").fill("12345");
    await page.getByRole("button", { name: "Add clinic" }).click();
    await page.getByText("Use the international format, e.g. +44 20 7946 0000").waitFor();
    await page.getByLabel("Phone (optional)").fill("+353 1 234 5678");
    await page.getByRole("button", { name: "Add clinic" }).click();
    await page.getByText(`Added Browser Clinic ${suffix}.`).waitFor();
    const row = page.locator(`tr[data-clinic="browser-${suffix}"]`);
    expect(await row.textContent()).toContain("Europe/Dublin");
    expect(await row.textContent()).toContain("IE");

    // Edit: the name.
    await page.getByRole("button", { name: `Edit Browser Clinic ${suffix}` }).click();
    await page.getByLabel("Name").fill(`Browser Clinic ${suffix} North`);
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByText(`Saved Browser Clinic ${suffix} North: name changed.`).waitFor();

    // Someone else saves while the form is open: 409, and the latest version on request.
    await page.getByRole("button", { name: `Edit Browser Clinic ${suffix} North` }).click();
    const other = await api("PUT", `/api/admin/clinics/browser-${suffix}`, { token: await signIn(ADMIN), body: { name: `Browser Clinic ${suffix} South` } });
    expect(other.status).toBe(200);
    await page.getByLabel("Phone (optional)").fill("+353 1 999 9999");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByText("It was changed since you loaded it; reload it and try again").waitFor();
    await expectNoAxeViolations(page, "admin clinics (edit conflict)");
    await page.getByRole("button", { name: /Load the latest version/ }).click();
    await expect.poll(() => page.getByLabel("Name").inputValue()).toBe(`Browser Clinic ${suffix} South`);
    await page.getByRole("button", { name: "Cancel" }).click();

    await page.getByRole("button", { name: `Deactivate Browser Clinic ${suffix} South` }).click();
    await page.getByRole("heading", { level: 2, name: `Deactivate Browser Clinic ${suffix} South?` }).waitFor();
    await page.getByRole("button", { name: "Deactivate", exact: true }).click();
    await page.getByText(`Browser Clinic ${suffix} South is inactive`).waitFor();
    expect(await row.locator(".badge").textContent()).toBe("Inactive");
    await expectNoAxeViolations(page, "admin clinics (one inactive)");

    // And back: patients find it again.
    await page.getByRole("button", { name: `Reactivate Browser Clinic ${suffix} South` }).click();
    await page.getByRole("heading", { level: 2, name: `Reactivate Browser Clinic ${suffix} South?` }).waitFor();
    await expectNoAxeViolations(page, "admin clinics (reactivate)");
    await page.getByRole("button", { name: "Reactivate", exact: true }).click();
    await page.getByText(`Browser Clinic ${suffix} South is active again`).waitFor();
    expect(await row.locator(".badge").textContent()).toBe("Active");
    const listed = await api("GET", "/api/clinics", { token: (await newPatient("Clinic Finder")).token });
    expect(listed.body.clinics.map((c: { id: string }) => c.id)).toContain(`browser-${suffix}`);
    await close(s);
  });

  it("staff: invite a nurse (the form's own checks first), who is listed; deactivate them", async () => {
    const suffix = randomUUID().slice(0, 8);
    const email = `browser.nurse.${suffix}@test.carebook.test`;
    const s = await open(ADMIN);
    const { page } = s;
    await page.goto("/admin/staff");
    await heading(page, "Staff");
    await page.locator('tr[data-staff="demo-nurse"]').waitFor();
    await screenshot(page, "admin-staff");
    await expectNoAxeViolations(page, "admin staff");

    await page.getByRole("button", { name: "Invite a staff member" }).click();
    await page.getByRole("heading", { level: 2, name: "Invite a staff member" }).waitFor();
    await page.getByRole("button", { name: "Send invitation" }).click();
    await page.getByText("Choose one role at least").waitFor();
    await expectNoAxeViolations(page, "admin staff (form with errors)");
    await page.getByLabel("Name").fill(`Browser Nurse ${suffix}`);
    await page.getByLabel("E-mail").fill(email);
    await page.getByRole("checkbox", { name: /^Nurse/ }).check();
    await page.getByRole("checkbox", { name: "London Central" }).check();
    await page.getByRole("button", { name: "Send invitation" }).click();
    await page.getByText(`Invited Browser Nurse ${suffix}`).waitFor();
    const row = page.locator("tr", { hasText: email });
    expect(await row.textContent()).toContain("London Central");
    const outbox = await api("GET", `/local/outbox?recipient=${encodeURIComponent(email)}&channel=email`);
    expect(outbox.body.messages).toHaveLength(1);

    await page.getByRole("button", { name: `Deactivate Browser Nurse ${suffix}` }).click();
    await page.getByRole("heading", { level: 2, name: `Deactivate Browser Nurse ${suffix}?` }).waitFor();
    await expectNoAxeViolations(page, "admin staff (deactivate)");
    await page.getByRole("button", { name: "Deactivate", exact: true }).click();
    await page.getByText(`Browser Nurse ${suffix} is inactive`).waitFor();
    expect(await row.locator(".badge").textContent()).toBe("Inactive");
    await close(s);
  });

  it("visit types: add with a questionnaire written in the editor (its checks and the API's 400 at their fields), edit, deactivate, reactivate", async () => {
    const suffix = randomUUID().slice(0, 8);
    const s = await open(ADMIN);
    const { page } = s;
    await page.goto("/admin/types");
    await heading(page, "Visit types");
    await page.locator('tr[data-type="vaccination"]').waitFor();
    await screenshot(page, "admin-types");
    await expectNoAxeViolations(page, "admin visit types");

    await page.getByRole("button", { name: "Add a visit type" }).click();
    await page.getByLabel("Visit type id").fill(`browser-${suffix}`);
    await page.getByLabel("Name").fill(`Browser check-up ${suffix}`);
    await page.getByLabel("Duration (minutes)").fill("22");
    await page.getByLabel("A nurse checks the patient's answers before the visit is confirmed").check();
    const editor = page.getByRole("group", { name: "Questionnaire", exact: true });
    const question = (n: number) => editor.getByRole("group", { name: `Question ${n}`, exact: true });
    await question(1).waitFor();
    await screenshot(page, "admin-type-questionnaire-editor");
    await expectNoAxeViolations(page, "admin visit types (questionnaire editor)");

    // The form's own checks, each at its field.
    await page.getByRole("button", { name: "Add visit type" }).click();
    await page.getByText("Duration: must be a multiple of 5 minutes").waitFor();
    await editor.getByText("Give the questionnaire a title").waitFor();
    await question(1).getByText("Enter the question").waitFor();
    expect(await question(1).getByLabel("Question text").getAttribute("aria-invalid")).toBe("true");
    await expectNoAxeViolations(page, "admin visit types (questionnaire with errors)");
    await page.getByLabel("Duration (minutes)").fill("20");

    await editor.getByLabel("Title").fill(`Before your check-up ${suffix}`);
    await question(1).getByLabel("Question text").fill("Do you have a fever today?");
    await question(1).getByLabel("Question id").fill("fever");
    // Adding a question by keyboard puts focus in its text field.
    await editor.getByRole("button", { name: "Add a question" }).focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => focusedId(page)).toBe(await question(2).getByLabel("Question text").getAttribute("id"));
    await page.keyboard.type("Which arm?");
    await question(2).getByLabel("Question id").fill("arm");
    await question(2).getByLabel("Answer", { exact: true }).selectOption("choice");
    await question(2).getByLabel("Options, one per line").fill("Left\nRight");
    await editor.getByRole("button", { name: "Add a question" }).click();
    await question(3).getByLabel("Question text").fill("Your temperature in °C");
    await question(3).getByLabel("Question id").fill("temperature");
    await question(3).getByLabel("Answer", { exact: true }).selectOption("number");
    await question(3).getByLabel("Smallest answer").fill("34");
    await question(3).getByLabel("Largest answer").fill("43");
    await question(3).getByLabel("An answer is required").uncheck();
    // A fourth, removed again.
    await editor.getByRole("button", { name: "Add a question" }).click();
    await question(4).getByRole("button", { name: "Remove, question 4" }).click();
    await expect.poll(() => question(4).count()).toBe(0);
    // Moved up by keyboard: focus stays on its button, and the change is announced.
    await question(3).getByRole("button", { name: "Move up, question 3" }).focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => question(2).getByLabel("Question text").inputValue()).toBe("Your temperature in °C");
    await expect.poll(() => focusedLabel(page)).toBe("Move up, question 2");
    await editor.getByText("Question 3 moved up: it is question 2 now.").waitFor();
    await screenshot(page, "admin-type-questionnaire-written");
    await expectNoAxeViolations(page, "admin visit types (questionnaire written)");

    // Without notice the pre-screening cannot finish before the visit: the API says so (400),
    // and its message shows at the field.
    await page.getByRole("button", { name: "Add visit type" }).click();
    await page.getByText(/with pre-screening the minimum notice must exceed the pre-screening cut-offs/).waitFor();
    expect(await page.getByLabel("Minimum notice (minutes)").getAttribute("aria-invalid")).toBe("true");
    await screenshot(page, "admin-type-form-api-error");
    await expectNoAxeViolations(page, "admin visit types (API error at a field)");
    await page.getByLabel("Minimum notice (minutes)").fill("1440");
    await page.getByRole("button", { name: "Add visit type" }).click();
    await page.getByText(`Added Browser check-up ${suffix}.`).waitFor();
    const row = page.locator(`tr[data-type="browser-${suffix}"]`);
    expect(await row.locator("td").first().textContent()).toMatch(/^20 min/);
    expect(await row.textContent()).toContain(`Yes: Before your check-up ${suffix}`);
    // Stored as written, in the order shown.
    const admin = await signIn(ADMIN);
    const storedType = async () =>
      (await api("GET", "/api/admin/types", { token: admin })).body.types.find((t: { id: string }) => t.id === `browser-${suffix}`);
    const stored = await storedType();
    expect(stored.prescreening.questionnaire.questions).toEqual([
      { id: "fever", kind: "yes-no", text: "Do you have a fever today?", required: true },
      { id: "temperature", kind: "number", text: "Your temperature in °C", required: false, min: 34, max: 43 },
      { id: "arm", kind: "choice", text: "Which arm?", required: true, options: ["Left", "Right"] },
    ]);

    // Editing other settings leaves the questionnaire as it is (shown in the editor, not re-sent).
    await page.getByRole("button", { name: `Edit Browser check-up ${suffix}` }).click();
    expect(await question(2).getByLabel("Question text").inputValue()).toBe("Your temperature in °C");
    await page.getByLabel("Duration (minutes)").fill("25");
    await page.getByLabel("Use the region's default reminder times").uncheck();
    await page.getByLabel("Minutes before the start").fill("2880, 60");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByText(`Saved Browser check-up ${suffix}: duration, reminders changed.`).waitFor();
    expect(await row.locator("td").first().textContent()).toMatch(/^25 min/);
    expect(await row.textContent()).toContain("2 days, 1 h before");

    await page.getByRole("button", { name: `Deactivate Browser check-up ${suffix}` }).click();
    await page.getByRole("button", { name: "Deactivate", exact: true }).click();
    await page.getByText(`Browser check-up ${suffix} is inactive`).waitFor();
    expect(await row.locator(".badge").textContent()).toBe("Inactive");

    await page.getByRole("button", { name: `Reactivate Browser check-up ${suffix}` }).click();
    await page.getByRole("heading", { level: 2, name: `Reactivate Browser check-up ${suffix}?` }).waitFor();
    await expectNoAxeViolations(page, "admin visit types (reactivate)");
    await page.getByRole("button", { name: "Reactivate", exact: true }).click();
    await page.getByText(`Browser check-up ${suffix} is active again`).waitFor();
    expect(await row.locator(".badge").textContent()).toBe("Active");
    expect((await storedType()).active).toBe(true);
    await close(s);
  });

  it("doctors: add one, and deactivating them with a booking offers to re-assign it", async () => {
    const suffix = randomUUID().slice(0, 8);
    const doctorId = `browser-${suffix}`;
    const name = `Dr Browser ${suffix}`;
    const s = await open(ADMIN);
    const { page } = s;
    await page.goto("/admin/doctors");
    await heading(page, "Doctors");
    await page.locator('tr[data-doctor="amelia-hughes"]').waitFor();
    await screenshot(page, "admin-doctors");
    await expectNoAxeViolations(page, "admin doctors");

    await page.getByRole("button", { name: "Add a doctor" }).click();
    await page.getByLabel("Doctor id").fill(doctorId);
    await page.getByLabel("Name").fill(name);
    await page.getByRole("group", { name: "Works at" }).getByLabel("Amsterdam Zuid").check();
    await page.getByLabel("Skills").fill("general-practice");
    await page.getByLabel("Languages").fill("en, NL");
    await page.getByRole("button", { name: "Add doctor" }).click();
    await page.getByText(`Added ${name}.`).waitFor();
    const row = page.locator(`tr[data-doctor="${doctorId}"]`);
    expect(await row.textContent()).toContain("en, nl");

    // One day's hours, and a booking at a time every Amsterdam doctor takes: one is theirs.
    await bookEveryAmsterdamDoctor(doctorId, weekdayAhead(34, 4));

    await page.getByRole("button", { name: `Deactivate ${name}` }).click();
    await page.getByRole("button", { name: "Deactivate", exact: true }).click();
    await page.getByText(`${name} has 1 future appointment(s).`).waitFor();
    await screenshot(page, "admin-doctor-has-bookings");
    await expectNoAxeViolations(page, "admin doctors (409 DOCTOR_HAS_BOOKINGS)");
    await page.getByRole("button", { name: "Deactivate and re-assign" }).click();
    // Every other Amsterdam doctor is booked then: the patient is asked to choose a new time.
    await page.getByText("0 appointment(s) re-assigned to other doctors; 1 patient(s) asked to choose a new time.").waitFor();
    await expectNoAxeViolations(page, "admin doctors (re-assignment outcome)");
    await page.getByRole("button", { name: "Done" }).click();
    await expect.poll(() => row.locator(".badge").textContent()).toBe("Inactive");

    await page.getByRole("button", { name: `Reactivate ${name}` }).click();
    await page.getByRole("heading", { level: 2, name: `Reactivate ${name}?` }).waitFor();
    await expectNoAxeViolations(page, "admin doctors (reactivate)");
    await page.getByRole("button", { name: "Reactivate", exact: true }).click();
    await page.getByText(`${name} is active again`).waitFor();
    expect(await row.locator(".badge").textContent()).toBe("Active");
    await close(s);
  });

  it("doctors: leaving a clinic with a booking offers to save and move it, and shows what happened", async () => {
    const suffix = randomUUID().slice(0, 8);
    const doctorId = `browser-move-${suffix}`;
    const name = `Dr Mover ${suffix}`;
    const created = await api("POST", "/api/admin/doctors", {
      token: await signIn(ADMIN),
      body: { doctorId, name, clinicIds: [AMSTERDAM, LONDON], skills: ["general-practice"], languages: ["en"] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await bookEveryAmsterdamDoctor(doctorId, weekdayAhead(35, 4));

    const s = await open(ADMIN);
    const { page } = s;
    await page.goto("/admin/doctors");
    await heading(page, "Doctors");
    const row = page.locator(`tr[data-doctor="${doctorId}"]`);
    await row.waitFor();
    await page.getByRole("button", { name: `Edit ${name}` }).click();
    await page.getByRole("group", { name: "Works at" }).getByLabel("Amsterdam Zuid").uncheck();
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByText("1 future appointment(s) would lose their doctor.").waitFor();
    await screenshot(page, "admin-doctor-edit-strands-bookings");
    await expectNoAxeViolations(page, "admin doctors (edit would strand a booking)");
    await page.getByRole("button", { name: "Save and move them" }).click();
    // Every other Amsterdam doctor is booked then: the patient is asked to choose a new time.
    await page.getByText("0 appointment(s) re-assigned to other doctors; 1 patient(s) asked to choose a new time.").waitFor();
    await expectNoAxeViolations(page, "admin doctors (edit outcome)");
    await page.getByRole("button", { name: "Done" }).click();
    await page.getByText(`Saved ${name}: clinics changed.`).waitFor();
    expect(await row.locator("td").first().textContent()).toBe("London Central");
    await close(s);
  });

  it("leave: the demo doctor asks, the admin approves and sees who was moved and who must choose", async () => {
    const day = weekdayAhead(33, 3);
    // A visit of Dr Amelia Hughes's with other doctors free at its time: each try at another time.
    let early = await bookNth(LONDON, day, 0, "Leave early");
    for (let i = 1; early.appointment.doctor.id !== "amelia-hughes" && i < 5; i++) early = await bookNth(LONDON, day, i * 2, "Leave early");
    expect(early.appointment.doctor.id).toBe("amelia-hughes");
    // Later that day every general practitioner of London has a visit at the same time.
    const late: string[] = [];
    for (let i = 0; i < 5; i++) late.push((await bookNth(LONDON, day, 12, `Leave late ${i}`)).appointment.doctor.id);
    expect(late).toContain("amelia-hughes");

    const requested = await api("POST", "/api/staff/leave", { token: await signIn(DOCTOR), body: { from: day, to: day, reason: "Medical conference" } });
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    const leaveId = requested.body.id as string;

    const s = await open(ADMIN);
    const { page } = s;
    await page.goto("/admin/leave");
    await heading(page, "Leave requests");
    const card = page.locator(`[data-leave="${leaveId}"]`);
    await card.waitFor();
    expect(await card.textContent()).toContain("Medical conference");
    await screenshot(page, "admin-leave");
    await expectNoAxeViolations(page, "admin leave (waiting)");

    await card.getByLabel(/Note to Dr Amelia Hughes/).fill("Enjoy the conference");
    await card.getByRole("button", { name: "Approve" }).click();
    await page
      .getByText("Approved the leave of Dr Amelia Hughes: 1 appointment(s) re-assigned to other doctors, 1 patient(s) asked to choose a new time.")
      .waitFor();
    const decided = page.locator(`section[aria-labelledby="leave-decided"] [data-leave="${leaveId}"]`);
    await decided.waitFor();
    expect(await decided.getByRole("heading", { level: 4 }).allTextContents()).toEqual([
      "Re-assigned to other doctors (1)",
      "Patients asked to choose a new time (1)",
    ]);
    expect(await decided.textContent()).toContain("Note: Enjoy the conference");
    await screenshot(page, "admin-leave-decided");
    await expectNoAxeViolations(page, "admin leave (decided)");
    await close(s);
  });
});

describe("support", () => {
  it("finds a patient by e-mail and cancels their appointment with the reason required", async () => {
    const day = weekdayAhead(32, 4);
    const { patient, appointment } = await bookNth(LONDON, day, 4, "Casey Caller");

    const s = await open(SUPPORT);
    const { page } = s;
    await page.goto("/");
    await heading(page, "Find a patient");
    await page.getByLabel("Patient's e-mail address").fill(`nobody-${randomUUID()}@test.carebook.test`);
    await page.getByRole("button", { name: "Find" }).click();
    await page.getByText(/^No patient signed up with /).waitFor();

    await page.getByLabel("Patient's e-mail address").fill(patient.email.toUpperCase());
    await page.getByRole("button", { name: "Find" }).click();
    await page.getByRole("heading", { level: 2, name: "Casey Caller's appointments" }).waitFor();
    const card = page.locator(`[data-appointment="${appointment.id}"]`);
    await card.waitFor();
    expect(await card.textContent()).toContain("General consultation");
    await screenshot(page, "support-patient");
    await expectNoAxeViolations(page, "support (patient's appointments)");

    await card.getByRole("button", { name: /^Cancel for the patient/ }).click();
    await card.getByRole("button", { name: "Cancel the appointment" }).click();
    await page.getByText("Enter why the appointment is cancelled").waitFor();
    expect(await card.getByLabel("Reason for cancelling (required)").getAttribute("aria-invalid")).toBe("true");
    await expectNoAxeViolations(page, "support (reason missing)");
    await card.getByLabel("Reason for cancelling (required)").fill("Patient called: unwell, will book again");
    await card.getByRole("button", { name: "Cancel the appointment" }).click();
    await page.getByText(/^Cancelled the appointment on /).waitFor();
    await expect.poll(() => card.textContent()).toContain("Cancellation reason: Patient called: unwell, will book again");
    await screenshot(page, "support-cancelled");
    await expectNoAxeViolations(page, "support (cancelled)");

    // The patient sees it cancelled, with support's reason.
    const mine = await api("GET", `/api/appointments/${appointment.id}`, { token: patient.token });
    expect([mine.body.status, mine.body.cancelReason]).toEqual(["cancelled", "Patient called: unwell, will book again"]);
    await close(s);
  });
});
