/**
 * The port every channel implements, and the one place AWS errors become DeliveryErrors.
 * An adapter sends one message and either resolves with the provider's id or throws a
 * DeliveryError saying whether trying again can help.
 */
import { DeliveryError, type OutgoingMessage } from "@carebook/core/notifications/delivery";
import type { Channel as CoreChannel } from "@carebook/core/notifications/preferences";
import type { Channel } from "../../events/index";

export interface SendResult {
  providerMessageId: string;
  /** "sent": accepted by the provider (delivery reported later, if at all); "delivered": final */
  status: "sent" | "delivered";
}

export interface ChannelAdapter {
  channel: Channel;
  send(message: OutgoingMessage): Promise<SendResult>;
}

// The events table's channels and the core's are one list (core may not import functions/).
const sameChannels: [Channel] extends [CoreChannel] ? ([CoreChannel] extends [Channel] ? true : never) : never = true;
void sameChannels;

/** AWS errors retried in any service: throttling and the server's own faults. */
const ALWAYS_TRANSIENT = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "ServiceUnavailable",
  "InternalFailure",
]);

interface AwsErrorLike {
  name?: string;
  code?: string;
  message?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

export interface ErrorRules {
  /** error names meaning this request can never succeed */
  permanent: ReadonlySet<string>;
  /** error names worth retrying beyond the generic ones */
  transient: ReadonlySet<string>;
}

/**
 * Classifies an SDK error. Order: the adapter's named lists, then the SDK's own hints
 * (`$retryable`, 429/5xx), then any other 4xx is permanent (the same request would be refused
 * again) and an error with no HTTP status at all — a socket reset, DNS, a timeout — transient.
 */
export function toDeliveryError(error: unknown, channel: Channel, rules: ErrorRules): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const e = (typeof error === "object" && error !== null ? error : {}) as AwsErrorLike;
  const name = e.name ?? "Error";
  const status = e.$metadata?.httpStatusCode;
  const make = (permanent: boolean, code = name) =>
    new DeliveryError(`${channel}: ${name}: ${e.message ?? String(error)}`, { permanent, code, cause: error });
  if (rules.transient.has(name) || ALWAYS_TRANSIENT.has(name)) return make(false);
  if (rules.permanent.has(name)) return make(true);
  if (e.$retryable) return make(false);
  if (status !== undefined) return make(!(status === 429 || status >= 500));
  return make(false, e.code && /^E[A-Z]+$/.test(e.code) ? "Network" : name);
}

/** An adapter over one AWS call: the provider's MessageId on success, a classified error otherwise. */
export function awsAdapter(
  channel: Channel,
  rules: ErrorRules,
  call: (message: OutgoingMessage) => Promise<{ MessageId?: string }>,
): ChannelAdapter {
  return {
    channel,
    async send(message) {
      try {
        const out = await call(message);
        return { providerMessageId: out.MessageId ?? "", status: "sent" };
      } catch (error) {
        throw toDeliveryError(error, channel, rules);
      }
    },
  };
}
