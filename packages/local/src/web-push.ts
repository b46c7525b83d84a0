/**
 * Web Push keys for the local runtime (a stage's are SST secrets): a VAPID key pair made on the
 * first start and kept with the data (a new one per start in memory), so a browser's
 * subscription stays valid across restarts. Locally the push channel writes to the outbox like
 * every channel (functions/lib/channels/local.ts); the keys let the web app subscribe.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import webpush from "web-push";
import { WEB_PUSH_PRIVATE_KEY_ENV, WEB_PUSH_PUBLIC_KEY_ENV, WEB_PUSH_SUBJECT_ENV } from "../../../functions/lib/channels/web-push";

export function useLocalWebPushKeys(dataDir: string | undefined): { publicKey: string } {
  const file = dataDir ? join(dataDir, "web-push-keys.json") : undefined;
  let keys: { publicKey: string; privateKey: string };
  if (file && existsSync(file)) keys = JSON.parse(readFileSync(file, "utf8"));
  else {
    keys = webpush.generateVAPIDKeys();
    if (file) {
      mkdirSync(dataDir!, { recursive: true });
      writeFileSync(file, JSON.stringify(keys, null, 2) + "\n", { mode: 0o600 });
    }
  }
  process.env[WEB_PUSH_PUBLIC_KEY_ENV] = keys.publicKey;
  process.env[WEB_PUSH_PRIVATE_KEY_ENV] = keys.privateKey;
  process.env[WEB_PUSH_SUBJECT_ENV] ??= "mailto:operations@carebook.invalid";
  return { publicKey: keys.publicKey };
}
