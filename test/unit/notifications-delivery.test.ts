import { describe, expect, it } from "vitest";
import {
  addressFor,
  DeliveryError,
  icsContentType,
  MAX_ATTEMPTS,
  messageFor,
  retryDelayMs,
  shouldRetry,
} from "@carebook/core/notifications/delivery";
import { appointmentIcs } from "@carebook/core/notifications/ics";
import { render } from "@carebook/core/notifications/templates";

const MINUTE = 60_000;
const ARN = "arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/carebook-ios/5f0c2d1e-8a7b-4c3d-9e2f-1a2b3c4d5e6f";

describe("retry schedule", () => {
  it("doubles from one minute and stops growing at one hour", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(retryDelayMs)).toEqual([1, 2, 4, 8, 16, 32, 60, 60].map((m) => m * MINUTE));
    expect(retryDelayMs(1000)).toBe(60 * MINUTE);
  });

  it("rejects attempt numbers that are not positive integers", () => {
    expect(() => retryDelayMs(0)).toThrow(RangeError);
    expect(() => retryDelayMs(1.5)).toThrow(RangeError);
  });

  it("retries transient failures until MAX_ATTEMPTS, and permanent ones never", () => {
    const transient = new DeliveryError("throttled", { permanent: false, code: "ThrottledException" });
    const permanent = new DeliveryError("opted out", { permanent: true, code: "OptedOutException" });
    expect(shouldRetry(transient, 1)).toBe(true);
    expect(shouldRetry(transient, MAX_ATTEMPTS - 1)).toBe(true);
    expect(shouldRetry(transient, MAX_ATTEMPTS)).toBe(false);
    expect(shouldRetry(permanent, 1)).toBe(false);
    expect(shouldRetry(new Error("socket hang up"), 1)).toBe(true);
    expect(permanent).toBeInstanceOf(Error);
    expect(permanent.code).toBe("OptedOutException");
  });
});

describe("addresses per channel", () => {
  const contacts = { email: "anna@example.com", phone: "+4915112345678", pushEndpointArn: ARN };

  it("picks the address each channel needs", () => {
    expect(addressFor("email", contacts)).toBe("anna@example.com");
    expect(addressFor("sms", contacts)).toBe("+4915112345678");
    expect(addressFor("push", contacts)).toBe(ARN);
  });

  it("reports a channel as unusable when its address is missing or malformed", () => {
    expect(addressFor("sms", { email: "anna@example.com" })).toBeUndefined();
    expect(addressFor("push", { email: "anna@example.com" })).toBeUndefined();
    expect(addressFor("sms", { phone: "0151 1234567" })).toBeUndefined();
    expect(addressFor("email", { email: "not an address" })).toBeUndefined();
    expect(addressFor("push", { pushEndpointArn: "arn:aws:sns:eu-west-1:123456789012:topic" })).toBeUndefined();
  });
});

describe("messages per channel", () => {
  const rendered = render("confirmation", "en", {
    patientName: "Anna",
    clinicName: "London Central",
    typeName: "Vaccination",
    start: "2027-03-29T09:00:00Z",
    end: "2027-03-29T09:30:00Z",
    timeZone: "Europe/London",
  });
  const ics = appointmentIcs({ uid: "a-1@carebook", sequence: 1, method: "REQUEST", start: "2027-03-29T09:00:00Z", end: "2027-03-29T09:30:00Z", summary: "Vaccination", description: "" });
  const meta = { messageId: "evt-1:email", recipientId: "p-1", to: "anna@example.com", language: "en" as const, ics };

  it("gives e-mail the subject, text, html and the invitation as text/calendar with its method", () => {
    const m = messageFor("email", rendered, meta);
    expect(m).toMatchObject({ messageId: "evt-1:email", channel: "email", recipientId: "p-1", to: "anna@example.com", language: "en" });
    expect(m.subject).toBe(rendered.subject);
    expect(m.text).toBe(rendered.text);
    expect(m.html).toBe(rendered.html);
    expect(m.attachments).toEqual([{ filename: "appointment.ics", contentType: "text/calendar; charset=utf-8; method=REQUEST", content: ics }]);
    expect(messageFor("email", rendered, { ...meta, ics: undefined }).attachments).toBeUndefined();
  });

  it("gives SMS only the short text and push only the title and body", () => {
    const sms = messageFor("sms", rendered, { ...meta, to: "+447700900123" });
    expect(sms.text).toBe(rendered.sms);
    expect(sms.sms).toBe(rendered.sms);
    expect(sms.html).toBeUndefined();
    expect(sms.attachments).toBeUndefined();
    const push = messageFor("push", rendered, { ...meta, to: ARN });
    expect(push.push).toEqual(rendered.push);
    expect(push.subject).toBe(rendered.push.title);
    expect(push.text).toBe(rendered.push.body);
    expect(push.attachments).toBeUndefined();
  });

  it("names a cancellation invitation's method in its content type", () => {
    const cancel = appointmentIcs({ uid: "a-1@carebook", sequence: 2, method: "CANCEL", start: "2027-03-29T09:00:00Z", end: "2027-03-29T09:30:00Z", summary: "x", description: "y" });
    expect(icsContentType(cancel)).toBe("text/calendar; charset=utf-8; method=CANCEL");
  });
});
