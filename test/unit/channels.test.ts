import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AccountSuspendedException,
  LimitExceededException,
  MailFromDomainNotVerifiedException,
  MessageRejected,
  SendEmailCommand,
  SendingPausedException,
  SESv2Client,
  SESv2ServiceException,
  TooManyRequestsException,
} from "@aws-sdk/client-sesv2";
import {
  EndpointDisabledException,
  InternalErrorException,
  InvalidParameterException,
  OptedOutException,
  PublishCommand,
  SNSClient,
  ThrottledException,
} from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DeliveryError, type OutgoingMessage } from "@carebook/core/notifications/delivery";
import { appointmentIcs } from "@carebook/core/notifications/ics";
import { channelAdapters } from "../../functions/lib/channels/index";
import { createLocalChannels, readOutbox } from "../../functions/lib/channels/local";
import { pushChannel } from "../../functions/lib/channels/push";
import { messageIdFromTag, sesChannel } from "../../functions/lib/channels/ses";
import { smsChannel } from "../../functions/lib/channels/sms";

const ses = mockClient(SESv2Client);
const sns = mockClient(SNSClient);
beforeEach(() => {
  ses.reset();
  sns.reset();
});

const ARN = "arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/carebook-android/5f0c2d1e-8a7b-4c3d-9e2f-1a2b3c4d5e6f";
const ics = appointmentIcs({ uid: "a-1@carebook", sequence: 1, method: "REQUEST", start: "2027-03-29T09:00:00Z", end: "2027-03-29T09:30:00Z", summary: "Vaccination", description: "With Dr Hughes" });

const email: OutgoingMessage = {
  messageId: "evt-1:email",
  channel: "email",
  recipientId: "p-1",
  to: "anna@example.com",
  language: "de",
  subject: "Termin bestätigt: Impfung",
  text: "Guten Tag Anna,",
  html: "<p>Guten Tag Anna,</p>",
  attachments: [{ filename: "appointment.ics", contentType: "text/calendar; charset=utf-8; method=REQUEST", content: ics }],
};
const sms: OutgoingMessage = { messageId: "evt-1:sms", channel: "sms", recipientId: "p-1", to: "+447700900123", language: "en", subject: "Confirmed", text: "London Central: confirmed.", sms: "London Central: confirmed." };
const push: OutgoingMessage = { messageId: "evt-1:push", channel: "push", recipientId: "p-1", to: ARN, language: "en", subject: "Appointment confirmed", text: "Vaccination, Mon 29 Mar", push: { title: "Appointment confirmed", body: "Vaccination, Mon 29 Mar" } };

const awsError = <E>(Type: new (opts: any) => E, status = 400) => new Type({ message: "boom", $metadata: { httpStatusCode: status } });

async function failure(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

describe("SES e-mail adapter", () => {
  const adapter = sesChannel({ client: new SESv2Client({ region: "eu-west-1" }), from: "Carebook <no-reply@carebook.example>", configurationSetName: "carebook-events" });

  it("sends a simple message from the configured sender with the invitation attached as text/calendar", async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: "ses-123" });
    await expect(adapter.send(email)).resolves.toEqual({ providerMessageId: "ses-123", status: "sent" });
    const input = ses.commandCalls(SendEmailCommand)[0]!.args[0].input;
    expect(input.FromEmailAddress).toBe("Carebook <no-reply@carebook.example>");
    expect(input.Destination).toEqual({ ToAddresses: ["anna@example.com"] });
    expect(input.ConfigurationSetName).toBe("carebook-events");
    expect(input.EmailTags).toEqual([{ Name: "carebook-message-id", Value: Buffer.from("evt-1:email").toString("base64url") }]);
    expect(messageIdFromTag(input.EmailTags![0]!.Value!)).toBe("evt-1:email");
    const simple = input.Content!.Simple!;
    expect(simple.Subject).toEqual({ Data: "Termin bestätigt: Impfung", Charset: "UTF-8" });
    expect(simple.Body).toEqual({ Text: { Data: "Guten Tag Anna,", Charset: "UTF-8" }, Html: { Data: "<p>Guten Tag Anna,</p>", Charset: "UTF-8" } });
    const [attachment] = simple.Attachments!;
    expect(attachment!.FileName).toBe("appointment.ics");
    expect(attachment!.ContentType).toMatch(/^text\/calendar;.*method=REQUEST/);
    expect(attachment!.ContentDisposition).toBe("ATTACHMENT");
    expect(Buffer.from(attachment!.RawContent!).toString("utf8")).toBe(ics);
  });

  it("sends text only, without attachments or a configuration set, when there are none", async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: "ses-124" });
    const plain = sesChannel({ client: new SESv2Client({ region: "eu-west-1" }), from: "no-reply@carebook.example" });
    await plain.send({ ...email, html: undefined, attachments: undefined });
    const input = ses.commandCalls(SendEmailCommand)[0]!.args[0].input;
    expect(input.Content!.Simple!.Body).toEqual({ Text: { Data: "Guten Tag Anna,", Charset: "UTF-8" } });
    expect(input.Content!.Simple!.Attachments).toBeUndefined();
    expect(input).not.toHaveProperty("ConfigurationSetName");
  });

  it.each([
    ["MessageRejected", () => awsError(MessageRejected)],
    ["MailFromDomainNotVerifiedException", () => awsError(MailFromDomainNotVerifiedException)],
    ["AccountSuspendedException", () => awsError(AccountSuspendedException)],
    ["SendingPausedException", () => awsError(SendingPausedException)],
    ["AccessDeniedException", () => new SESv2ServiceException({ name: "AccessDeniedException", $fault: "client", $metadata: { httpStatusCode: 403 } })],
  ])("treats %s as permanent", async (code, error) => {
    ses.on(SendEmailCommand).rejects(error());
    const e = await failure(adapter.send(email));
    expect(e.permanent).toBe(true);
    expect(e.code).toBe(code);
    expect(e.message).toContain(code);
  });

  it.each([
    ["TooManyRequestsException", () => awsError(TooManyRequestsException, 429)],
    ["LimitExceededException", () => awsError(LimitExceededException)],
    ["InternalFailure", () => new SESv2ServiceException({ name: "InternalFailure", $fault: "server", $metadata: { httpStatusCode: 500 } })],
    ["ServiceUnavailableException", () => new SESv2ServiceException({ name: "ServiceUnavailableException", $fault: "server", $metadata: { httpStatusCode: 503 } })],
    ["Network", () => Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })],
  ])("treats %s as transient", async (code, error) => {
    ses.on(SendEmailCommand).rejects(error());
    const e = await failure(adapter.send(email));
    expect(e.permanent).toBe(false);
    expect(e.code).toBe(code);
  });
});

describe("SNS SMS adapter", () => {
  const adapter = smsChannel({ client: new SNSClient({ region: "eu-west-1" }), senderId: "Carebook" });

  it("publishes the SMS text to the phone number as a transactional message", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "sns-1" });
    await expect(adapter.send(sms)).resolves.toEqual({ providerMessageId: "sns-1", status: "sent" });
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.PhoneNumber).toBe("+447700900123");
    expect(input.Message).toBe("London Central: confirmed.");
    expect(input.TargetArn).toBeUndefined();
    expect(input.MessageAttributes).toEqual({
      "AWS.SNS.SMS.SMSType": { DataType: "String", StringValue: "Transactional" },
      "AWS.SNS.SMS.SenderID": { DataType: "String", StringValue: "Carebook" },
    });
  });

  it("maps a bad number or an opt-out to permanent, throttling and SNS faults to transient", async () => {
    sns.on(PublishCommand).rejects(awsError(InvalidParameterException));
    expect((await failure(adapter.send(sms))).permanent).toBe(true);
    sns.on(PublishCommand).rejects(awsError(OptedOutException));
    expect(await failure(adapter.send(sms))).toMatchObject({ permanent: true, code: "OptedOutException" });
    sns.on(PublishCommand).rejects(awsError(ThrottledException, 400));
    expect(await failure(adapter.send(sms))).toMatchObject({ permanent: false, code: "ThrottledException" });
    sns.on(PublishCommand).rejects(awsError(InternalErrorException, 500));
    expect(await failure(adapter.send(sms))).toMatchObject({ permanent: false, code: "InternalErrorException" });
  });
});

describe("SNS push adapter", () => {
  const adapter = pushChannel({ client: new SNSClient({ region: "eu-west-1" }) });

  it("publishes per-platform JSON payloads to the endpoint", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "sns-2" });
    await expect(adapter.send(push)).resolves.toEqual({ providerMessageId: "sns-2", status: "sent" });
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.TargetArn).toBe(ARN);
    expect(input.PhoneNumber).toBeUndefined();
    expect(input.MessageStructure).toBe("json");
    const payload = JSON.parse(input.Message!);
    expect(payload.default).toBe("Vaccination, Mon 29 Mar");
    // Each platform's value is itself a JSON string, as SNS requires.
    expect(JSON.parse(payload.GCM).fcmV1Message.message.notification).toEqual({ title: "Appointment confirmed", body: "Vaccination, Mon 29 Mar" });
    expect(JSON.parse(payload.GCM).fcmV1Message.message.data.messageId).toBe("evt-1:push");
    expect(JSON.parse(payload.APNS).aps.alert).toEqual({ title: "Appointment confirmed", body: "Vaccination, Mon 29 Mar" });
    expect(JSON.parse(payload.APNS_SANDBOX)).toEqual(JSON.parse(payload.APNS));
  });

  it("treats a disabled endpoint as permanent", async () => {
    sns.on(PublishCommand).rejects(awsError(EndpointDisabledException));
    expect(await failure(adapter.send(push))).toMatchObject({ permanent: true, code: "EndpointDisabledException" });
  });
});

describe("local outbox channels", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "carebook-outbox-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const clock = (start: string) => {
    let t = Date.parse(start);
    return () => (t += 1000);
  };

  it("writes each message as one JSON file per recipient, with attachments inline, as delivered", async () => {
    const { adapters } = createLocalChannels({ dir, now: () => Date.parse("2027-03-01T12:00:00.000Z") });
    const result = await adapters.email.send(email);
    expect(result.status).toBe("delivered");
    const files = await readdir(join(dir, "p-1"));
    expect(files).toEqual(["2027-03-01T12-00-00.000Z-email-evt-1_email.json"]);
    const stored = JSON.parse(await readFile(join(dir, "p-1", files[0]!), "utf8"));
    expect(stored).toEqual({ ...email, sentAt: "2027-03-01T12:00:00.000Z" });
    expect(stored.attachments[0].content).toContain("BEGIN:VCALENDAR");
  });

  it("reads the outbox back oldest first, filtered by patient id or address", async () => {
    const { adapters } = createLocalChannels({ dir, now: clock("2027-03-01T12:00:00Z") });
    await adapters.email.send(email);
    await adapters.sms.send(sms);
    await adapters.push.send(push);
    await adapters.email.send({ ...email, messageId: "evt-2:email", recipientId: "p-2", to: "bob@example.com" });
    expect((await readOutbox(dir)).map((m) => m.messageId)).toEqual(["evt-1:email", "evt-1:sms", "evt-1:push", "evt-2:email"]);
    expect((await readOutbox(dir, { recipient: "p-1" })).map((m) => m.channel)).toEqual(["email", "sms", "push"]);
    expect((await readOutbox(dir, { recipient: "Anna@Example.com" })).map((m) => m.messageId)).toEqual(["evt-1:email"]);
    expect((await readOutbox(dir, { recipient: "+447700900123" })).map((m) => m.messageId)).toEqual(["evt-1:sms"]);
    expect((await readOutbox(dir, { recipient: "p-1", channel: "push" })).map((m) => m.messageId)).toEqual(["evt-1:push"]);
    expect(await readOutbox(dir, { recipient: "nobody@example.com" })).toEqual([]);
    expect(await readOutbox(join(dir, "missing"))).toEqual([]);
  });

  it("orders sends made within the same millisecond, and leaves no temp files behind", async () => {
    const { adapters } = createLocalChannels({ dir, now: () => Date.parse("2027-03-01T12:00:00Z") });
    await Promise.all(Array.from({ length: 20 }, (_, i) => adapters.sms.send({ ...sms, messageId: `m-${String(i).padStart(2, "0")}` })));
    const outbox = await readOutbox(dir);
    expect(outbox.map((m) => m.messageId)).toEqual(Array.from({ length: 20 }, (_, i) => `m-${String(i).padStart(2, "0")}`));
    expect(new Set(outbox.map((m) => m.sentAt)).size).toBe(20);
    expect((await readdir(join(dir, "p-1"))).filter((f) => !f.endsWith(".json"))).toEqual([]);
  });

  it("keeps a hostile recipient id inside the outbox directory", async () => {
    const { adapters } = createLocalChannels({ dir });
    await adapters.sms.send({ ...sms, recipientId: "../../etc" });
    const [folder] = await readdir(dir);
    expect(folder).not.toContain("/");
    expect(folder).not.toMatch(/^\.\.?$/);
    expect((await readOutbox(dir, { recipient: "../../etc" })).length).toBe(1);
  });

  it("refuses an address the real provider would refuse, permanently", async () => {
    const { adapters } = createLocalChannels({ dir });
    expect(await failure(adapters.sms.send({ ...sms, to: "07700 900123" }))).toMatchObject({ permanent: true, code: "InvalidAddress" });
    expect(await failure(adapters.email.send(sms))).toMatchObject({ permanent: true, code: "InvalidAddress" });
    expect(await readOutbox(dir)).toEqual([]);
  });

  it("fails the next N sends of a channel when told to, then recovers", async () => {
    const { adapters, faults } = createLocalChannels({ dir });
    faults.fail("sms", { permanent: false, times: 2 });
    expect(await failure(adapters.sms.send(sms))).toMatchObject({ permanent: false, code: "LocalFault" });
    await expect(adapters.email.send(email)).resolves.toMatchObject({ status: "delivered" });
    expect(await failure(adapters.sms.send(sms))).toMatchObject({ permanent: false });
    await expect(adapters.sms.send(sms)).resolves.toMatchObject({ status: "delivered" });
    expect((await readOutbox(dir)).map((m) => m.channel)).toEqual(["email", "sms"]);

    faults.fail("push", { permanent: true, times: 5 });
    expect(await failure(adapters.push.send(push))).toMatchObject({ permanent: true });
    faults.clear();
    await expect(adapters.push.send(push)).resolves.toMatchObject({ status: "delivered" });
  });

  it("shares the fault switch between adapters of the same outbox (another process, the runtime)", async () => {
    createLocalChannels({ dir }).faults.fail("email", { permanent: true, times: 1 });
    const { adapters } = createLocalChannels({ dir });
    expect(await failure(adapters.email.send(email))).toMatchObject({ permanent: true, code: "LocalFault" });
    await expect(adapters.email.send(email)).resolves.toMatchObject({ status: "delivered" });
  });
});

describe("channel adapters for the environment", () => {
  it("uses the local outbox when CAREBOOK_OUTBOX_DIR is set", async () => {
    const dir = await mkdtemp(join(tmpdir(), "carebook-outbox-"));
    try {
      const adapters = channelAdapters({ CAREBOOK_OUTBOX_DIR: dir });
      expect(Object.keys(adapters).sort()).toEqual(["email", "push", "sms"]);
      await adapters.sms.send(sms);
      expect(await readOutbox(dir, { recipient: "p-1" })).toHaveLength(1);
      expect(sns.calls()).toHaveLength(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("uses SES and SNS otherwise, with the sender from CAREBOOK_EMAIL_FROM", async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: "ses-9" });
    sns.on(PublishCommand).resolves({ MessageId: "sns-9" });
    const adapters = channelAdapters({ CAREBOOK_EMAIL_FROM: "no-reply@carebook.example" });
    await expect(adapters.email.send(email)).resolves.toEqual({ providerMessageId: "ses-9", status: "sent" });
    await expect(adapters.push.send(push)).resolves.toEqual({ providerMessageId: "sns-9", status: "sent" });
    expect(ses.commandCalls(SendEmailCommand)[0]!.args[0].input.FromEmailAddress).toBe("no-reply@carebook.example");
    expect(() => channelAdapters({})).toThrow(/CAREBOOK_EMAIL_FROM/);
  });
});
