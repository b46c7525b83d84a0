/**
 * Web Push (RFC 8030, payload encrypted per RFC 8291, VAPID per RFC 8292) to a browser's push
 * service — the installed web app's push channel. SNS has no Web Push platform, so this sends
 * directly: the `web-push` library builds the encrypted request, fetch posts it. The payload is
 * what the service worker shows (packages/web/src/sw.ts).
 */
import { Config } from "sst/node/config";
import webpush from "web-push";
import { DeliveryError, webPushSubscriptionOf, type OutgoingMessage } from "@carebook/core/notifications/delivery";
import type { SendResult } from "./adapter";

/**
 * The VAPID key pair. Deployed: the stage's SST secrets of these names (`npx sst secrets set`,
 * docs/web.md), bound to the functions that send push or serve the public key (SST fetches them
 * from SSM when the function starts). Locally: the environment variables below, which the
 * runtime fills from keys it makes on first start (packages/local/src/web-push.ts).
 */
export const WEB_PUSH_SECRETS = { publicKey: "WEB_PUSH_PUBLIC_KEY", privateKey: "WEB_PUSH_PRIVATE_KEY" } as const;
export const WEB_PUSH_PUBLIC_KEY_ENV = "CAREBOOK_WEB_PUSH_PUBLIC_KEY";
export const WEB_PUSH_PRIVATE_KEY_ENV = "CAREBOOK_WEB_PUSH_PRIVATE_KEY";
/** A contact for push services to reach the sender: "mailto:…" or an https URL. */
export const WEB_PUSH_SUBJECT_ENV = "CAREBOOK_WEB_PUSH_SUBJECT";

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

/** A secret bound to this function by SST, if it is bound and set (`in`: SST's proxy throws on a
 * secret that is not bound). */
function boundSecret(name: string): string | undefined {
  const bound = Config as unknown as Record<string, unknown>;
  const value = name in bound ? bound[name] : undefined;
  return typeof value === "string" && value ? value : undefined;
}

/** The stage's VAPID public key (what browsers subscribe with), or undefined without one. */
export function webPushPublicKey(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[WEB_PUSH_PUBLIC_KEY_ENV] || boundSecret(WEB_PUSH_SECRETS.publicKey);
}

/** The key pair and contact to send with, or undefined when the stage has no keys (web push is then not configured). */
export function vapidKeysFrom(env: NodeJS.ProcessEnv = process.env): VapidKeys | undefined {
  const publicKey = webPushPublicKey(env);
  const privateKey = env[WEB_PUSH_PRIVATE_KEY_ENV] || boundSecret(WEB_PUSH_SECRETS.privateKey);
  if (!publicKey || !privateKey) return undefined;
  return { publicKey, privateKey, subject: env[WEB_PUSH_SUBJECT_ENV] || "mailto:operations@carebook.invalid" };
}

/** What the service worker receives. */
export function webPushPayload(message: OutgoingMessage) {
  const { title, body } = message.push ?? { title: message.subject, body: message.text };
  return { title, body, messageId: message.messageId };
}

/** Push services answer 404/410 for a subscription that is gone, other 4xx for a request they will never take. */
function failure(status: number, text: string): DeliveryError {
  const transient = status === 429 || status >= 500;
  const code = status === 404 || status === 410 ? "SubscriptionGone" : `PushService${status}`;
  return new DeliveryError(`push: web push answered ${status}: ${text.slice(0, 200)}`, { permanent: !transient, code });
}

export async function sendWebPush(
  message: OutgoingMessage,
  keys: VapidKeys | undefined,
  fetchImpl: typeof fetch = fetch,
): Promise<SendResult> {
  const subscription = webPushSubscriptionOf(message.to);
  if (!subscription) throw new DeliveryError("push: not a web push subscription", { permanent: true, code: "InvalidAddress" });
  if (!keys) throw new DeliveryError("push: web push keys are not configured", { permanent: true, code: "WebPushNotConfigured" });
  const request = webpush.generateRequestDetails(subscription, JSON.stringify(webPushPayload(message)), {
    vapidDetails: keys,
    // A reminder that arrives a day late is worse than none.
    TTL: 24 * 3600,
    urgency: "high",
  });
  let response: Response;
  try {
    response = await fetchImpl(request.endpoint, {
      method: request.method,
      headers: request.headers as Record<string, string>,
      body: request.body ?? undefined,
    });
  } catch (error) {
    throw new DeliveryError(`push: web push service unreachable: ${(error as Error).message}`, { permanent: false, code: "Network", cause: error });
  }
  if (!response.ok) throw failure(response.status, await response.text().catch(() => ""));
  return { providerMessageId: response.headers.get("location") ?? "", status: "sent" };
}
