/**
 * The audit viewer's region-wide entries and actors' names, and the leave lists' "Show more",
 * in a real browser: an admin finds their own appointment-type change under "Region-wide",
 * shown by name with the id still there, and narrows to that actor by id; the admin's leave
 * page and the nurse's own page page through more leave than one page holds, by keyboard,
 * focus landing on "That is all." when the button goes. axe on each state; no console errors.
 *
 * The leave is written straight into the table two years ahead (after everyone else's) and
 * removed at the end, so other browser files' leave lists stay as they were.
 */
import { randomUUID } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Leave } from "@carebook/core/entities/index";
import { DEMO_REGION_ID } from "@carebook/local/seed";
import { api, testDb, weekdayAhead } from "../integration/harness";
import { closeSession, expectNoAxeViolations, launchBrowser, openSession, screenshot, signIn } from "./browser";

const ADMIN = "admin@demo.carebook.test";
const NURSE = "nurse@demo.carebook.test";
/** One more than a page (the API's default page is 50). */
const LEAVE_COUNT = 51;

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const open = (email: string) => openSession(browser, email);
const close = closeSession;

/** The element that has focus: its tag and text. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const active = (globalThis as unknown as { document: { activeElement: { tagName: string; textContent: string | null } | null } }).document.activeElement;
    return { tag: active?.tagName, text: active?.textContent?.trim() };
  });

describe("audit viewer", () => {
  it("lists region-wide entries with the actor's name; the actor link narrows by id", async () => {
    const admin = await signIn(ADMIN);
    const typeId = `browser-type-${randomUUID().slice(0, 8)}`;
    const created = await api("POST", "/api/admin/types", { token: admin, body: { typeId, name: "Browser audit check", durationMinutes: 20 } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    const s = await open(ADMIN);
    const { page } = s;
    await page.goto("/admin/audit");
    await page.getByRole("heading", { level: 1, name: "Audit log" }).waitFor();
    await page.getByLabel("Clinic").selectOption("region");
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL(/clinicId=region/);
    const row = page.locator("table.audit tbody tr", { hasText: "appointmentType.created" }).filter({ hasText: typeId }).first();
    await row.waitFor();
    const actor = row.locator("td:nth-child(2)");
    expect(await actor.locator("button.link").textContent()).toContain("Ada Admin");
    expect(await actor.locator("code").getAttribute("title")).toBe("demo-admin");
    expect(await row.locator("td:nth-child(5)").textContent()).toBe("Region-wide");
    await screenshot(page, "admin-audit-region");
    await expectNoAxeViolations(page, "admin audit (region-wide)");

    await actor.locator("button.link").click();
    await page.waitForURL(/actor=demo-admin/);
    expect(await page.getByLabel("Actor (user id)").inputValue()).toBe("demo-admin");
    await page.locator("table.audit tbody tr").first().waitFor();
    await close(s);
  });
});

describe("leave lists page with Show more", () => {
  const ids: string[] = [];

  beforeAll(async () => {
    const first = Date.parse(`${weekdayAhead(104, 1)}T00:00:00Z`);
    const db = testDb();
    for (let i = 0; i < LEAVE_COUNT; i++) {
      const start = new Date(first + i * 86_400_000).toISOString();
      const end = new Date(first + (i + 1) * 86_400_000).toISOString();
      const leave: Leave = {
        leaveId: `browser-leave-${randomUUID()}`,
        regionId: DEMO_REGION_ID,
        staffSub: "demo-nurse",
        staffName: "Nora Nurse",
        role: "nurse",
        clinicIds: ["london-central"],
        start,
        end,
        from: start.slice(0, 10),
        to: start.slice(0, 10),
        timeZone: "Europe/London",
        reason: `Paging test ${i + 1}`,
        status: "requested",
        requestedAt: new Date().toISOString(),
      };
      await db.leave.create(leave).go();
      ids.push(leave.leaveId);
    }
  });

  afterAll(async () => {
    const db = testDb();
    for (const leaveId of ids) await db.leave.delete({ leaveId }).go();
  });

  /** Presses "Show more" by keyboard until it is gone; focus ends on "That is all.". */
  async function showAll(page: Page, button: string) {
    const more = page.getByRole("button", { name: button });
    await more.waitFor();
    await more.focus();
    await page.keyboard.press("Enter");
    await page.getByText("That is all.").waitFor();
    await expect.poll(() => focused(page)).toEqual({ tag: "P", text: "That is all." });
    expect(await more.count()).toBe(0);
  }

  it("the admin's leave requests: a page, then the rest", async () => {
    const s = await open(ADMIN);
    const { page } = s;
    await page.goto("/admin/leave");
    await page.getByRole("heading", { level: 1, name: "Leave requests" }).waitFor();
    const cards = page.locator("section[aria-labelledby='leave-waiting'] [data-leave^='browser-leave-']");
    await cards.first().waitFor();
    const onFirstPage = await cards.count();
    expect(onFirstPage).toBeLessThan(LEAVE_COUNT);
    await page.getByRole("heading", { level: 2, name: /Waiting for a decision \(\d+ so far\)/ }).waitFor();
    await expectNoAxeViolations(page, "admin leave (first page)");

    await showAll(page, "Show more leave requests");
    await expect.poll(() => cards.count()).toBe(LEAVE_COUNT);
    await page.getByRole("heading", { level: 2, name: /Waiting for a decision \(\d+\)$/ }).waitFor();
    await screenshot(page, "admin-leave-paged");
    await expectNoAxeViolations(page, "admin leave (all pages)");
    await close(s);
  });

  it("the nurse's own leave: a page, then the rest", async () => {
    const s = await open(NURSE);
    const { page } = s;
    await page.goto("/staff/leave");
    await page.getByRole("heading", { level: 1, name: "My leave" }).waitFor();
    const rows = page.locator("table tbody tr", { hasText: "Paging test" });
    await rows.first().waitFor();
    expect(await rows.count()).toBeLessThan(LEAVE_COUNT);
    await expectNoAxeViolations(page, "nurse leave (first page)");

    await showAll(page, "Show more of my leave");
    await expect.poll(() => rows.count()).toBe(LEAVE_COUNT);
    await expectNoAxeViolations(page, "nurse leave (all pages)");
    await close(s);
  });
});
