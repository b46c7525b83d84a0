/**
 * The whole booking by keyboard alone (no mouse, no locator clicks): Tab to each control, type
 * to choose in the selects, Enter on buttons. Every control that takes focus on the way shows a
 * visible focus indicator. Sign-up, the page a new patient starts on, is checked with axe.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectNoAxeViolations, launchBrowser, screenshot, webUrl } from "./browser";

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** What has focus: its tag, accessible name-ish text, a data-start, and whether a focus ring shows. */
async function focused(page: Page) {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { activeElement: any } }).document;
    const el = doc.activeElement;
    const style = (globalThis as unknown as { getComputedStyle: (e: unknown) => { outlineStyle: string; outlineWidth: string } }).getComputedStyle(el);
    return {
      tag: String(el?.tagName ?? "").toLowerCase(),
      label: String(el?.getAttribute?.("aria-label") ?? el?.labels?.[0]?.textContent ?? el?.textContent ?? "").trim(),
      start: el?.dataset?.start as string | undefined,
      ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
    };
  });
}

/** Presses Tab until `match` holds for the focused element; every stop must show its focus ring. */
async function tabTo(page: Page, what: string, match: (f: Awaited<ReturnType<typeof focused>>) => boolean, max = 250) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const f = await focused(page);
    if (f.tag !== "body") expect(f.ring, `focus ring on ${f.tag} "${f.label}"`).toBe(true);
    if (match(f)) return f;
  }
  throw new Error(`Tab never reached ${what}`);
}

describe("keyboard only", () => {
  it("signs up, chooses type, clinic, week and time, and books — without a mouse", async () => {
    const context = await browser.newContext({ baseURL: webUrl(), timezoneId: "Europe/London" });
    try {
      const page = await context.newPage();
      await page.goto("/signup");
      await page.getByRole("heading", { level: 1, name: "Create an account" }).waitFor();
      await expectNoAxeViolations(page, "sign-up");
      const email = `keyboard-${Date.now()}@browser.carebook.test`;
      await tabTo(page, "the name field", (f) => f.tag === "input" && f.label === "Full name");
      await page.keyboard.type("Kim Keyboard");
      await tabTo(page, "the e-mail field", (f) => f.label === "E-mail");
      await page.keyboard.type(email);
      await tabTo(page, "the password field", (f) => f.label === "Password");
      await page.keyboard.type("keyboard-only-password");
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { level: 1, name: "Book an appointment" }).waitFor();

      // The heading takes focus after navigation; the selects come next in tab order.
      await tabTo(page, "the visit type", (f) => f.tag === "select" && f.label === "Visit type");
      await page.keyboard.type("General");
      await tabTo(page, "the clinic", (f) => f.tag === "select" && f.label === "Clinic");
      await page.keyboard.type("London");
      await tabTo(page, "next week", (f) => f.label === "Next week");
      for (let i = 0; i < 7; i++) await page.keyboard.press("Enter");
      await page.locator("button.slot").first().waitFor();
      const firstFree = await page.locator("button.slot").first().getAttribute("data-start");

      const slot = await tabTo(page, "the first free time", (f) => f.start === firstFree);
      await page.keyboard.press("Enter");
      await expect.poll(() => page.locator(`button.slot[data-start="${slot.start}"]`).getAttribute("aria-pressed")).toBe("true");
      await tabTo(page, "the reason", (f) => f.tag === "textarea");
      await page.keyboard.type("Booked by keyboard");
      await tabTo(page, "the book button", (f) => f.label === "Book this time");
      await screenshot(page, "keyboard-booking");
      await page.keyboard.press("Enter");

      await page.getByText(/^Booked: Dr .+ will see you on/).waitFor({ timeout: 10_000 });
      expect(await page.locator(".details").textContent()).toContain("Booked by keyboard");
    } finally {
      await context.close();
    }
  });
});
