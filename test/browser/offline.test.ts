/**
 * Installable and offline: the web manifest, the service worker opening the app with no
 * network, and the patient's upcoming appointments shown from this device's copy, marked as
 * possibly out of date.
 */
import { createECDH, randomBytes } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, book, slotAt, slots, weekdayAhead } from "../integration/harness";
import { expectNoAxeViolations, launchBrowser, newPatient, screenshot, signedInContext, webUrl } from "./browser";

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe("installable, offline", () => {
  it("serves a manifest with the icons an install needs", async () => {
    const response = await fetch(`${webUrl()}/manifest.webmanifest`);
    expect(response.status).toBe(200);
    const manifest = (await response.json()) as { name: string; display: string; start_url: string; icons: Array<{ sizes: string; type: string }> };
    expect(manifest).toMatchObject({ name: "Carebook", display: "standalone", start_url: "/" });
    expect(manifest.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(["192x192", "512x512"]));
    for (const icon of ["/icon-192.png", "/icon-512.png"]) expect((await fetch(`${webUrl()}${icon}`)).headers.get("content-type")).toBe("image/png");
  });

  it("opens with no network and shows the saved upcoming appointments, marked as possibly stale", async () => {
    const patient = await newPatient("Olive Offline");
    const date = weekdayAhead(9, 3);
    const slot = slotAt(await slots(patient.token, { from: date, to: date }), date, "11:00");
    expect((await book(patient.token, slot.start)).status).toBe(201);

    const context = await signedInContext(browser, patient.token);
    try {
      const page = await context.newPage();
      await page.goto("/appointments");
      await page.locator("li.appointment").first().waitFor();
      // The service worker has taken the app shell (precache) before the network goes.
      await page.evaluate(async () => {
        const nav = (globalThis as unknown as { navigator: { serviceWorker: { ready: Promise<unknown> } } }).navigator;
        await nav.serviceWorker.ready;
      });
      await context.setOffline(true);
      await page.reload();
      await page.getByText("You are offline.").waitFor({ timeout: 10_000 });
      expect(await page.locator("li.appointment").count()).toBe(1);
      expect(await page.locator("li.appointment").textContent()).toContain("General consultation");
      await screenshot(page, "offline-appointments");
      await expectNoAxeViolations(page, "appointments offline");

      // A new session (the installed app reopened with no network): the sign-in page offers the copy.
      await page.evaluate(() => (globalThis as unknown as { sessionStorage: { clear(): void } }).sessionStorage.clear());
      await page.goto("/signin");
      await page.getByRole("link", { name: "See the appointments saved on this device" }).click();
      await page.getByRole("heading", { level: 1, name: "Saved appointments" }).waitFor();
      expect(await page.locator("li.appointment").count()).toBe(1);
      await expectNoAxeViolations(page, "saved appointments (no session)");
      await context.setOffline(false);
    } finally {
      await context.close();
    }
  });

  it("turns on push for this browser: the subscription becomes the patient's push address", async () => {
    const patient = await newPatient("Pia Push");
    // Headless Chromium has no push service here (it would be Google's): the browser's
    // PushManager answers with a subscription made in the test, with real keys.
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    const subscription = {
      endpoint: `https://push.example.test/send/${patient.sub}`,
      expirationTime: null,
      keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: randomBytes(16).toString("base64url") },
    };
    const context = await signedInContext(browser, patient.token);
    try {
      await context.addInitScript((json) => {
        const page = globalThis as unknown as {
          Notification: { requestPermission: () => Promise<string> };
          PushManager: { prototype: { subscribe: (options: { applicationServerKey: string }) => Promise<unknown> } };
          __applicationServerKey?: string;
        };
        page.Notification.requestPermission = async () => "granted";
        page.PushManager.prototype.subscribe = async (options) => {
          page.__applicationServerKey = options.applicationServerKey;
          return { toJSON: () => json };
        };
      }, subscription);
      const page = await context.newPage();
      await page.goto("/preferences");
      await page.getByRole("button", { name: "Turn on push notifications on this device" }).click();
      await page.getByText("Push notifications are on for this browser.").waitFor();
      await screenshot(page, "preferences-push");
      await expectNoAxeViolations(page, "preferences with push on");
      // The browser subscribed with the stage's VAPID key.
      const key = (await api("GET", "/api/me/push-key", { token: patient.token })).body.publicKey as string;
      expect(await page.evaluate(() => (globalThis as unknown as { __applicationServerKey?: string }).__applicationServerKey)).toBe(key);
      const prefs = await api("GET", "/api/me/notification-preferences", { token: patient.token });
      expect(prefs.body.preferences.contacts.webPush).toEqual(subscription);
      expect(prefs.body.preferences.channels).toContain("push");

      // Push first, then: a booking's confirmation goes to this browser's subscription.
      const first = { ...prefs.body.preferences, channels: ["push", "email"] };
      expect((await api("PUT", "/api/me/notification-preferences", { token: patient.token, body: first })).status).toBe(200);
      const date = weekdayAhead(9, 4);
      const slot = slotAt(await slots(patient.token, { from: date, to: date }), date, "14:00");
      expect((await book(patient.token, slot.start)).status).toBe(201);
      await expect
        .poll(
          async () =>
            (await api("GET", `/local/outbox?recipient=${patient.sub}&channel=push`)).body.messages.map((m: { to: string }) => ({
              scheme: m.to.slice(0, "webpush:".length),
              subscription: JSON.parse(m.to.slice("webpush:".length)),
            })),
          { timeout: 15_000 },
        )
        .toEqual([{ scheme: "webpush:", subscription }]);
    } finally {
      await context.close();
    }
  });
});
