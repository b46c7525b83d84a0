import { webPushPublicKey } from "../../lib/channels/web-push";
import { httpHandler, json } from "../../lib/http";

/** The stage's VAPID public key, for PushManager.subscribe (no table access). */
export const handler = httpHandler("GET /api/me/push-key", async () => json(200, { publicKey: (await webPushPublicKey()) ?? null }));
