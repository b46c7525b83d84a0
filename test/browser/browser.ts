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
import { expect, inject } from "vitest";

export const webUrl = () => inject("webUrl");
export const SCREENSHOT_DIR = fileURLToPath(new URL("../../test-results/screenshots/", import.meta.url));
export const DEMO_PASSWORD = "carebook-demo-1";

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

async function authPost(path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${webUrl()}/local-auth/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const parsed = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(parsed)}`);
  return parsed;
}

export interface TestUser {
  email: string;
  password: string;
  name: string;
}

let counter = 0;
/** A new patient account (through the issuer's sign-up, as the app's form does). */
export async function newPatient(label = "patient"): Promise<TestUser> {
  const user = {
    email: `${label}-${Date.now().toString(36)}-${++counter}-${Math.random().toString(36).slice(2, 6)}@browser.carebook.test`,
    password: "browser-test-password-1",
    name: `${label[0]!.toUpperCase()}${label.slice(1)} Browser ${counter}`,
  };
  await authPost("signup", user);
  return user;
}

/**
 * A context already signed in as `user` (the session the app keeps in sessionStorage), for
 * tests whose subject is not the sign-in form.
 */
export async function signedInContext(browser: Browser, user: { email: string; password: string; totp?: string }): Promise<BrowserContext> {
  const tokens = await authPost("token", { email: user.email, password: user.password, ...(user.totp ? { totp: user.totp } : {}) });
  const session = JSON.stringify({ idToken: tokens.idToken, refreshToken: tokens.refreshToken, expiresAt: Date.now() + Number(tokens.expiresIn) * 1000 });
  const context = await browser.newContext({ baseURL: webUrl(), timezoneId: "America/New_York" });
  // Runs in the page (the DOM's types are not in this Node project's lib).
  await context.addInitScript((value) => {
    const storage = (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void } }).sessionStorage;
    if (!storage.getItem("carebook.session")) storage.setItem("carebook.session", value);
  }, session);
  return context;
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
