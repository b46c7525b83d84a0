/**
 * Staff in a real browser: a nurse (signed in with TOTP through the form) approves a pending
 * vaccination while the patient watches their appointment page, which turns "Booked" without a
 * reload; the doctor checks in and completes the seeded visit of the day; axe on every page.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { totpCode } from "@carebook/local/totp";
import { demoUsers } from "@carebook/local/seed";
import { book, LONDON, signIn, slotAt, slots, testDb, weekdayAhead } from "../integration/harness";
import { DEMO_PASSWORD, expectNoAxeViolations, launchBrowser, newPatient, screenshot, signedInContext, webUrl } from "./browser";

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const NURSE = "nurse@demo.carebook.test";
const DOCTOR = "doctor@demo.carebook.test";

/** Signs in through the form: password, then the TOTP code the form asks for. */
async function signInWithTotp(page: Page, email: string) {
  const secret = demoUsers.find((u) => u.email === email)!.totpSecret!;
  await page.goto("/signin");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  const code = page.getByLabel("Code from your authenticator app");
  await code.waitFor();
  await expectNoAxeViolations(page, "sign-in (TOTP step)");
  await code.fill(totpCode(secret, Date.now()));
  await page.getByRole("button", { name: "Sign in" }).click();
}

describe("staff", () => {
  it("a nurse approves a pending vaccination and the patient's page turns Booked live", async () => {
    const patient = await newPatient("Vera Vaccine");
    const date = weekdayAhead(8, 2);
    const slot = slotAt(await slots(patient.token, { typeId: "vaccination", clinicId: LONDON, from: date, to: date }), date, "10:00");
    const booked = await book(patient.token, slot.start, { typeId: "vaccination" });
    expect(booked.status).toBe(201);
    expect(booked.body.status).toBe("pending");
    const appointmentId = booked.body.id as string;

    const patientContext = await signedInContext(browser, patient.token);
    const nurseContext = await browser.newContext({ baseURL: webUrl(), timezoneId: "Europe/Berlin" });
    try {
      const mine = await patientContext.newPage();
      await mine.goto(`/appointments/${appointmentId}`);
      await mine.getByRole("heading", { name: "Before your vaccination" }).waitFor();
      await screenshot(mine, "prescreening-questionnaire");
      await expectNoAxeViolations(mine, "pre-screening questionnaire");
      // The questionnaire by its labels: choice and yes/no as radio groups.
      const group = (text: string) => mine.getByRole("group", { name: new RegExp(`^${text}`) });
      await group("Which vaccine").getByLabel("influenza").check();
      await group("Do you have a fever").getByLabel("No").check();
      await group("Have you ever had a severe").getByLabel("No").check();
      await group("Are you pregnant").getByLabel("not-applicable").check();
      await group("Do you take blood-thinning").getByLabel("No").check();
      await mine.getByRole("button", { name: "Send my answers" }).click();
      await mine.getByText("A nurse is checking your answers").waitFor();
      expect(await mine.locator(".badge").first().textContent()).toBe("Pending pre-screening");

      const nurse = await nurseContext.newPage();
      await signInWithTotp(nurse, NURSE);
      await nurse.getByRole("heading", { level: 1, name: "Pre-screening queue" }).waitFor();
      const row = nurse.locator(`tr[data-appointment="${appointmentId}"]`);
      await row.waitFor();
      expect(await row.textContent()).toMatch(/min left|h \d+ min left/);
      await row.getByRole("button", { name: /^Review / }).click();
      await nurse.getByRole("heading", { name: "Review" }).waitFor();
      await expect.poll(() => nurse.locator(".details dd").first().textContent()).toBe("influenza");
      await screenshot(nurse, "nurse-queue-review");
      await expectNoAxeViolations(nurse, "nurse queue with a review open");
      await nurse.getByLabel("Approve").check();
      await nurse.getByRole("button", { name: "Record decision" }).click();
      // The answer may come before the workflow has confirmed the hold; the patient's page below shows it did.
      await nurse.getByText(/^Approved: the appointment is (now booked|being updated)\./).waitFor({ timeout: 15_000 });

      // No reload: the status push (WebSocket) re-reads the appointment.
      await expect.poll(() => mine.locator(".badge").first().textContent(), { timeout: 5_000 }).toBe("Booked");
      await mine.getByText("Status updated: Booked").waitFor();
      await screenshot(mine, "appointment-approved-live");

      await nurse.getByRole("link", { name: "Leave" }).click();
      await nurse.getByRole("heading", { level: 1, name: "My leave" }).waitFor();
      await expectNoAxeViolations(nurse, "nurse leave");
    } finally {
      await patientContext.close();
      await nurseContext.close();
    }
  });

  it("the doctor checks in and completes the visit of the day; hours and leave pages pass axe", async () => {
    // The seed's started consultation with Dr Hughes (today, or the last weekday).
    const { data } = await testDb().appointment.scan.go({ pages: "all" });
    const visit = data.filter((a) => a.appointmentId.startsWith("demo-") && a.status === "booked").sort((a, b) => a.start.localeCompare(b.start))[0];
    expect(visit).toBeDefined();
    const day = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(Date.parse(visit!.start));

    const context = await signedInContext(browser, await signIn(DOCTOR));
    try {
      const page = await context.newPage();
      await page.goto("/");
      await page.getByRole("heading", { level: 1, name: "Schedule of Dr Amelia Hughes" }).waitFor();
      await page.getByLabel("Day", { exact: true }).fill(day);
      const row = page.locator(`tr[data-appointment="${visit!.appointmentId}"]`);
      await row.waitFor();
      await screenshot(page, "doctor-schedule");
      await expectNoAxeViolations(page, "doctor schedule");
      await row.getByRole("button", { name: /^Check in / }).click();
      await expect.poll(() => row.locator(".badge").textContent()).toBe("Checked in");
      await row.getByRole("button", { name: /^Complete the visit/ }).click();
      await row.getByLabel("Notes reference (optional)").fill("EHR-2027-0042");
      await row.getByRole("button", { name: "Complete visit" }).click();
      await expect.poll(() => row.locator(".badge").textContent()).toBe("Completed");
      const stored = await testDb().appointment.get({ appointmentId: visit!.appointmentId }).go();
      expect(stored.data?.status).toBe("fulfilled");
      expect(stored.data?.notesRef).toBe("EHR-2027-0042");

      await page.getByRole("link", { name: "Working hours" }).click();
      await page.getByRole("heading", { level: 1, name: "Working hours" }).waitFor();
      await screenshot(page, "doctor-hours");
      await expectNoAxeViolations(page, "doctor working hours");
      await page.getByRole("link", { name: "Leave" }).click();
      await page.getByRole("heading", { level: 1, name: "My leave" }).waitFor();
      await expectNoAxeViolations(page, "doctor leave");
    } finally {
      await context.close();
    }
  });
});
