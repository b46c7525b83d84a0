/**
 * Browser tests drive Debian's Chromium through playwright-core (Playwright's own browser
 * download cannot work offline): CHROMIUM_PATH or /usr/bin/chromium, headless, with the flags
 * that keep it from calling Google's services (refused on this network, and slow to fail).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { expect } from "vitest";
import { apiUrl, signIn } from "../integration/harness";

export { DEMO_PASSWORD, newPatient, signIn } from "../integration/harness";
export const webUrl = () => apiUrl();
export const SCREENSHOT_DIR = fileURLToPath(new URL("../../test-results/screenshots/", import.meta.url));

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}

/**
 * A context signed in with `idToken` (the session the app keeps in sessionStorage), for tests
 * whose subject is not the sign-in form. Tokens come from the harness's `signIn` (demo staff
 * with their TOTP) or `newPatient`. The browser's zone is New York, not the clinics'.
 */
export async function signedInContext(browser: Browser, idToken: string): Promise<BrowserContext> {
  const session = JSON.stringify({ idToken, expiresAt: jwtExpiry(idToken) });
  const context = await browser.newContext({ baseURL: webUrl(), timezoneId: "America/New_York" });
  // Runs in the page (the DOM's types are not in this Node project's lib).
  await context.addInitScript((value) => {
    const storage = (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void } }).sessionStorage;
    if (!storage.getItem("carebook.session")) storage.setItem("carebook.session", value);
  }, session);
  return context;
}

/** A signed-in page whose console errors and uncaught exceptions are collected (`closeSession` fails on any). */
export interface Session {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions so far (those `expectedErrors` matches left out). */
  errors: string[];
}

/** `email`'s signed-in context and a page in it; `expectedErrors`: console errors a test provokes on purpose. */
export async function openSession(browser: Browser, email: string, expectedErrors?: RegExp): Promise<Session> {
  const context = await signedInContext(browser, await signIn(email));
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" && !expectedErrors?.test(message.text())) errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return { context, page, errors };
}

/** Closes the session's context; fails if the page logged an error it did not expect. */
export async function closeSession(session: Session) {
  await session.context.close();
  expect(session.errors, "console errors").toEqual([]);
}

function jwtExpiry(jwt: string): number {
  return JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8")).exp * 1000;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** axe-core over the whole page against WCAG 2.0–2.2 A and AA; fails listing each violation. */
export async function expectNoAxeViolations(page: Page, label: string) {
  await page.addScriptTag({ content: axeSource });
  // Runs in the page (the DOM's types are not in this Node project's lib).
  const violations = await page.evaluate(async () => {
    type Result = { violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: unknown }> }> };
    const page = globalThis as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<Result> }; document: unknown };
    const result = await page.axe.run(page.document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  expect(violations, `axe violations on ${label}`).toEqual([]);
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** The Monday `weeks` weeks after this week's (a calendar date, yyyy-mm-dd). */
export function mondayInWeeks(weeks: number): string {
  const now = new Date();
  const weekday = (now.getUTCDay() + 6) % 7;
  const monday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - weekday + 7 * weeks));
  return monday.toISOString().slice(0, 10);
}
