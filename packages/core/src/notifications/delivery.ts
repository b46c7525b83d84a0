/**
 * What the notification consumer hands to a channel adapter, how a failed send is classified,
 * and how long to wait before trying again. Adapters throw DeliveryError: `permanent` means the
 * same request will never succeed (bad address, opted out, account suspended), so the consumer
 * stops retrying and may fall back to the patient's next channel; anything else is retried with
 * the backoff below, up to MAX_ATTEMPTS.
 */
import { E164, PUSH_ENDPOINT_ARN, webPushSubscriptionSchema, type Channel, type WebPushSubscription } from "./preferences";
import type { Language, RenderedMessage } from "./templates";

export interface MessageAttachment {
  filename: string;
  contentType: string;
  /** text content (an .ics is text); adapters encode it */
  content: string;
}

export interface OutgoingMessage {
  /** Stable across retries, so a provider-side or outbox record can be matched to it. */
  messageId: string;
  channel: Channel;
  /** the patient id */
  recipientId: string;
  /** e-mail address, E.164 phone number, or push endpoint ARN or web push address, per channel */
  to: string;
  language: Language;
  subject: string;
  text: string;
  html?: string;
  sms?: string;
  push?: { title: string; body: string };
  attachments?: MessageAttachment[];
}

export class DeliveryError extends Error {
  override name = "Carebook.DeliveryError";
  readonly permanent: boolean;
  /** the provider's error name ("MessageRejected"…) or our own ("InvalidAddress", "Network") */
  readonly code: string;
  constructor(message: string, options: { permanent: boolean; code: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.permanent = options.permanent;
    this.code = options.code;
  }
}

export const MAX_ATTEMPTS = 5;
export const RETRY_BASE_MS = 60_000;
export const RETRY_CAP_MS = 60 * 60_000;

/** Wait before the next try after `attempt` failed tries (1 → 1 min, 2 → 2 min, 4, 8 … ≤ 1 h).
 * No jitter: retries are scheduled per message, not in lockstep, and tests can pin it. */
export function retryDelayMs(attempt: number): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
  // Capped before exponentiation overflows to Infinity.
  return Math.min(RETRY_BASE_MS * 2 ** Math.min(attempt - 1, 32), RETRY_CAP_MS);
}

/** Whether to try again after `attempt` failed tries ending in `error`. Errors that are not
 * DeliveryErrors (a bug, a timeout) count as transient. */
export function shouldRetry(error: unknown, attempt: number): boolean {
  return attempt < MAX_ATTEMPTS && !(error instanceof DeliveryError && error.permanent);
}

const EMAIL = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/;

export function isValidAddress(channel: Channel, to: string): boolean {
  switch (channel) {
    case "email":
      return EMAIL.test(to);
    case "sms":
      return E164.test(to);
    case "push":
      return PUSH_ENDPOINT_ARN.test(to) || webPushSubscriptionOf(to) !== undefined;
  }
}

/** A browser subscription as a push address: "webpush:" and its JSON. */
export const WEB_PUSH_PREFIX = "webpush:";

export function webPushAddress(subscription: WebPushSubscription): string {
  return WEB_PUSH_PREFIX + JSON.stringify(subscription);
}

/** The subscription a web push address holds (undefined for anything else, an ARN included). */
export function webPushSubscriptionOf(to: string): WebPushSubscription | undefined {
  if (!to.startsWith(WEB_PUSH_PREFIX)) return undefined;
  try {
    const parsed = webPushSubscriptionSchema.safeParse(JSON.parse(to.slice(WEB_PUSH_PREFIX.length)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export interface Contacts {
  email?: string;
  phone?: string;
  pushEndpointArn?: string;
  webPush?: WebPushSubscription;
}

/** The address to use on a channel, or undefined when the patient cannot be reached on it
 * (the consumer then moves on to the next preferred channel). */
export function addressFor(channel: Channel, contacts: Contacts): string | undefined {
  // A native app's endpoint first; else this web app's subscription on the patient's browser.
  const push = contacts.pushEndpointArn ?? (contacts.webPush ? webPushAddress(contacts.webPush) : undefined);
  const raw = { email: contacts.email, sms: contacts.phone, push }[channel]?.trim();
  return raw && isValidAddress(channel, raw) ? raw : undefined;
}

export interface MessageMeta {
  messageId: string;
  recipientId: string;
  to: string;
  language: Language;
  /** an appointmentIcs() calendar to attach (e-mail only) */
  ics?: string;
}

/** The content type of an .ics part; clients treat it as an invitation only with its METHOD. */
export function icsContentType(ics: string): string {
  const method = /^METHOD:([A-Z-]+)\r?$/m.exec(ics)?.[1] ?? "PUBLISH";
  return `text/calendar; charset=utf-8; method=${method}`;
}

/** The message for one channel from a rendered template: e-mail gets subject, text, html and
 * the invitation; SMS its short text; push the title and body. */
export function messageFor(channel: Channel, rendered: RenderedMessage, meta: MessageMeta): OutgoingMessage {
  const base = { messageId: meta.messageId, channel, recipientId: meta.recipientId, to: meta.to, language: meta.language };
  switch (channel) {
    case "email":
      return {
        ...base,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        ...(meta.ics
          ? { attachments: [{ filename: "appointment.ics", contentType: icsContentType(meta.ics), content: meta.ics }] }
          : {}),
      };
    case "sms":
      return { ...base, subject: rendered.subject, text: rendered.sms, sms: rendered.sms };
    case "push":
      return { ...base, subject: rendered.push.title, text: rendered.push.body, push: { ...rendered.push } };
  }
}
