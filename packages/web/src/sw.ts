/// <reference lib="webworker" />
/**
 * The service worker: the app shell precached (workbox; the list is injected at build), every
 * page navigation answered with index.html when the network is gone, and Web Push messages
 * shown as notifications that open the appointment they are about. API calls are never cached
 * here: the app keeps its own marked-as-stale copy of the patient's appointments (offline.ts).
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from "workbox-precaching";
import { NavigationRoute, registerRoute } from "workbox-routing";

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> };

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL("index.html"), { denylist: [/^\/api\//, /^\/local/, /^\/ws/] }));

self.addEventListener("install", () => void self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

/** What the push channel sends (functions/lib/channels/web-push.ts). */
interface PushMessage {
  title: string;
  body: string;
  appointmentId?: string;
  messageId?: string;
}

self.addEventListener("push", (event) => {
  let message: PushMessage;
  try {
    message = event.data?.json() as PushMessage;
  } catch {
    message = { title: "Carebook", body: event.data?.text() ?? "" };
  }
  event.waitUntil(
    self.registration.showNotification(message.title, {
      body: message.body,
      icon: "/icon-192.png",
      tag: message.appointmentId ?? message.messageId,
      data: { url: message.appointmentId ? `/appointments/${encodeURIComponent(message.appointmentId)}` : "/appointments" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data as { url?: string } | undefined)?.url ?? "/";
  event.waitUntil(
    (async () => {
      const open = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const client = open.find((c) => new URL(c.url).origin === self.location.origin);
      if (client) {
        await client.focus();
        await (client as WindowClient).navigate(url);
      } else await self.clients.openWindow(url);
    })(),
  );
});
