/**
 * The deployed sign-in, in a real browser against the local issuer's hosted pages
 * (packages/local/src/hosted-signin.ts): the app in hosted mode leaves for the pool's sign-in
 * page, comes back to /auth/callback with a code, exchanges it with PKCE (oauth4webapi, as
 * against Cognito) and lands on the user's home page; signing out revokes the refresh token and
 * ends at /signin through the pool's logout. axe on each hosted page.
 *
 * The shared runtime keeps serving the password form to the other files: this file's contexts
 * get /config.json as `CAREBOOK_WEB_AUTH=hosted` makes the runtime serve it (web.ts webConfig,
 * checked in test/local/hosted-signin.test.ts).
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Pool } from "@carebook/local/auth";
import { LOCAL_AUDIENCE } from "@carebook/local/runtime";
import { demoUsers } from "@carebook/local/seed";
import { totpCode, totpStep, totpStepStart } from "@carebook/local/totp";
import { webConfig } from "@carebook/local/web";
import { book, slotAt, slots, weekdayAhead } from "../integration/harness";
import { DEMO_PASSWORD, expectNoAxeViolations, launchBrowser, newPatient, screenshot, webUrl } from "./browser";

/** newPatient's password (test/integration/harness.ts). */
const PATIENT_PASSWORD = "correct-horse-battery";
const DOCTOR = "doctor@demo.carebook.test";

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const issuerOf = (pool: Pool) => `${webUrl()}/local-auth/pools/${pool}`;
const clientIdOf = (pool: Pool) => `${LOCAL_AUDIENCE}-${pool}`;

/**
 * A context whose app signs in on the hosted pages. Service workers are blocked so that every
 * /config.json request reaches the route (a worker's fetches would bypass it). `bypassCSP` only
 * where axe is injected: the hosted pages allow no script, and the other context keeps their
 * CSP enforced — including form-action on the redirect back to the app.
 */
async function hostedContext(options: { bypassCSP?: boolean; staffIdentityProvider?: string } = {}): Promise<BrowserContext> {
  const { staffIdentityProvider, ...contextOptions } = options;
  const context = await browser.newContext({ baseURL: webUrl(), timezoneId: "Europe/London", serviceWorkers: "block", ...contextOptions });
  const config = webConfig("hosted", {
    patients: { pool: "patients", issuerUrl: issuerOf("patients"), clientId: clientIdOf("patients") },
    staff: { pool: "staff", issuerUrl: issuerOf("staff"), clientId: clientIdOf("staff") },
  });
  // A stage whose staff pool federates a hospital's provider names it (stacks/Web.ts WebConfig).
  if (staffIdentityProvider) Object.assign(config.cognito!.staff, { identityProvider: staffIdentityProvider });
  await context.route("**/config.json", (route) => route.fulfill({ json: config }));
  return context;
}

/** The hosted page's form posts: the answer to the next one (a 303 back to the app, or the page again). */
const nextFormPost = (page: Page, pool: Pool) =>
  page.waitForResponse((r) => r.request().method() === "POST" && r.url().startsWith(`${issuerOf(pool)}/oauth2/authorize?`));

/** The app's sign-in page → the pool's hosted page (a real navigation to the issuer). */
async function openHostedPage(page: Page, button: string, pool: Pool) {
  await page.goto("/signin");
  await page.getByRole("button", { name: button }).click();
  await page.waitForURL((url) => url.href.startsWith(`${issuerOf(pool)}/oauth2/authorize?`));
  const url = new URL(page.url());
  expect(url.searchParams.get("code_challenge_method")).toBe("S256");
  expect(url.searchParams.get("redirect_uri")).toBe(`${webUrl()}/auth/callback`);
  await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
}

/** The TOTP step with the demo secret's code; a code another test file used this step is
 * refused as a replay, so the next step's (accepted too), else wait for a fresh one. */
async function enterTotp(page: Page, secret: string) {
  for (let round = 0; round < 4; round++) {
    const at = Date.now();
    for (const stepsAhead of [0, 1]) {
      await page.getByLabel("Code from your authenticator app").fill(totpCode(secret, at + stepsAhead * 30_000));
      const [answer] = await Promise.all([nextFormPost(page, "staff"), page.getByRole("button", { name: "Verify code" }).click()]);
      if (answer.status() === 303) return;
      const text = await answer.text();
      if (!text.includes("already used")) throw new Error(`TOTP step refused: ${answer.status()} ${text}`);
    }
    await page.waitForTimeout(totpStepStart(totpStep(at) + 1) - Date.now() + 50);
  }
  throw new Error("every TOTP code was already used");
}

/** What a refresh with `refreshToken` answers at the pool's token endpoint. */
async function refreshAt(pool: Pool, refreshToken: string) {
  const res = await fetch(`${issuerOf(pool)}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientIdOf(pool) }),
  });
  return { status: res.status, body: (await res.json()) as { error?: string; id_token?: string } };
}

/** Signs out: the refresh token is revoked at the pool (it worked before, not after), and the
 * pool's logout brings the browser back to /signin. */
async function signOutRevokes(page: Page, pool: Pool) {
  const session = await page.evaluate(() =>
    (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem("carebook.session"),
  );
  const { refreshToken, pool: sessionPool } = JSON.parse(session ?? "{}") as { refreshToken?: string; pool?: Pool };
  expect(sessionPool).toBe(pool);
  expect(refreshToken).toBeTruthy();
  expect((await refreshAt(pool, refreshToken!)).status).toBe(200);

  const revoked = page.waitForResponse((r) => r.url() === `${issuerOf(pool)}/oauth2/revoke` && r.request().method() === "POST");
  const loggedOut = page.waitForRequest((r) => r.url().startsWith(`${issuerOf(pool)}/logout?`) && r.isNavigationRequest());
  await page.getByRole("button", { name: "Sign out" }).click();
  expect((await revoked).status()).toBe(200);
  expect(new URL((await loggedOut).url()).searchParams.get("logout_uri")).toBe(`${webUrl()}/signin`);
  await page.waitForURL(`${webUrl()}/signin`);
  await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
  await page.getByRole("button", { name: "Sign in as a patient" }).waitFor();

  const after = await refreshAt(pool, refreshToken!);
  expect([after.status, after.body.error]).toEqual([400, "invalid_grant"]);
}

describe("hosted sign-in (the deployed flow, on the local issuer)", () => {
  it("a patient signs in on the patients pool's page, sees their appointments, and signs out (revoked)", async () => {
    const patient = await newPatient("Hana Hosted");
    const date = weekdayAhead(7, 4);
    const slot = slotAt(await slots(patient.token, { from: date, to: date }), date, "14:00");
    expect((await book(patient.token, slot.start)).status).toBe(201);

    const context = await hostedContext();
    try {
      const page = await context.newPage();
      await openHostedPage(page, "Sign in as a patient", "patients");
      await page.getByLabel("E-mail").fill(patient.email);
      await page.getByLabel("Password").fill(PATIENT_PASSWORD);
      const backAtApp = page.waitForRequest((r) => r.url().startsWith(`${webUrl()}/auth/callback?`) && r.isNavigationRequest());
      await page.getByRole("button", { name: "Sign in" }).click();
      const callback = new URL((await backAtApp).url());
      expect(callback.searchParams.get("code")).toMatch(/^[\w-]{43}$/);
      expect(callback.searchParams.get("state")).toBeTruthy();

      await page.getByRole("heading", { level: 1, name: "My appointments" }).waitFor();
      expect(new URL(page.url()).pathname).toBe("/appointments");
      await expect.poll(() => page.locator("li.appointment").count()).toBe(1);
      expect(await page.locator("li.appointment").textContent()).toContain("General consultation");

      await signOutRevokes(page, "patients");
    } finally {
      await context.close();
    }
  });

  it("a doctor signs in on the staff pool's page with their TOTP code, sees their schedule, and signs out (revoked)", async () => {
    const secret = demoUsers.find((u) => u.email === DOCTOR)!.totpSecret!;
    const context = await hostedContext({ bypassCSP: true });
    try {
      const page = await context.newPage();
      await openHostedPage(page, "Staff sign-in", "staff");
      await page.getByLabel("E-mail").fill(DOCTOR);
      await page.getByLabel("Password").fill(DEMO_PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { level: 1, name: "Two-step sign-in" }).waitFor();
      await screenshot(page, "hosted-sign-in-totp");
      await expectNoAxeViolations(page, "hosted sign-in (TOTP step)");
      await enterTotp(page, secret);

      await page.getByRole("heading", { level: 1, name: "Schedule of Dr Amelia Hughes" }).waitFor();
      expect(new URL(page.url()).pathname).toBe("/staff/schedule");

      await signOutRevokes(page, "staff");
    } finally {
      await context.close();
    }
  });

  it("the hosted pages pass axe: sign-in, a refused password, create an account (which signs in)", async () => {
    const context = await hostedContext({ bypassCSP: true });
    try {
      const page = await context.newPage();
      await openHostedPage(page, "Sign in as a patient", "patients");
      await screenshot(page, "hosted-sign-in");
      await expectNoAxeViolations(page, "hosted sign-in (patients)");

      await page.getByLabel("E-mail").fill("nobody@test.carebook.test");
      await page.getByLabel("Password").fill("not the password");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("alert").filter({ hasText: "Incorrect email or password" }).waitFor();
      await expectNoAxeViolations(page, "hosted sign-in (refused)");

      await page.goto("/signin");
      await page.getByRole("button", { name: "Create a patient account" }).click();
      await page.waitForURL((url) => url.href.startsWith(`${issuerOf("patients")}/signup?`));
      await page.getByRole("heading", { level: 1, name: "Create an account" }).waitFor();
      await screenshot(page, "hosted-sign-up");
      await expectNoAxeViolations(page, "hosted sign-up");
      // The account and its patient profile, then straight into the app.
      await page.getByLabel("Full name").fill("Sid Signup");
      await page.getByLabel("E-mail").fill(`hosted-${Date.now()}@test.carebook.test`);
      await page.getByLabel("Password").fill(PATIENT_PASSWORD);
      await page.getByRole("button", { name: "Create account" }).click();
      await page.getByRole("heading", { level: 1, name: "My appointments" }).waitFor();
    } finally {
      await context.close();
    }
  });

  it("offers a stage's hospital sign-in by name, which goes straight to that provider", async () => {
    const context = await hostedContext({ staffIdentityProvider: "StMarys" });
    try {
      const page = await context.newPage();
      // Where Cognito would forward to the hospital: the request is what matters here.
      const authorize = new Promise<URL>((resolve) =>
        void context.route(`${issuerOf("staff")}/oauth2/authorize?**`, async (route) => {
          resolve(new URL(route.request().url()));
          await route.fulfill({ contentType: "text/html", body: "<!doctype html><title>Hospital</title><h1>Hospital sign-in</h1>" });
        }),
      );
      await page.goto("/signin");
      await page.getByRole("button", { name: "Staff sign-in with a Carebook account" }).waitFor();
      await page.getByRole("button", { name: "Staff sign-in with StMarys" }).click();
      const url = await authorize;
      expect(url.searchParams.get("identity_provider")).toBe("StMarys");
      expect(url.searchParams.get("client_id")).toBe(clientIdOf("staff"));
      expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    } finally {
      await context.close();
    }
  });
});
