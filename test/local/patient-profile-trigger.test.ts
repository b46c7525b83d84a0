/**
 * The patients pool's post-confirmation trigger creates the profile once, with the sign-up's
 * name, e-mail and language; other trigger sources change nothing.
 */
import type { Context, PostConfirmationTriggerEvent } from "aws-lambda";
import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@carebook/core/entities/index";
import { useDynamoLocal } from "../support/dynamo-local";

const local = useDynamoLocal();
let db: Db;
let handler: (event: PostConfirmationTriggerEvent, context?: Context) => Promise<PostConfirmationTriggerEvent>;

const event = (sub: string, attributes: Record<string, string>, triggerSource = "PostConfirmation_ConfirmSignUp") =>
  ({
    version: "1",
    region: "eu-west-1",
    userPoolId: "eu-west-1_test",
    userName: sub,
    callerContext: { awsSdkVersion: "x", clientId: "client" },
    triggerSource,
    request: { userAttributes: { sub, ...attributes } },
    response: {},
  }) as PostConfirmationTriggerEvent;

beforeAll(async () => {
  const fresh = await local.freshTable("profile-trigger");
  db = fresh.db;
  Object.assign(process.env, { TABLE_NAME: fresh.table, CAREBOOK_REGION_ID: "eu-west", CAREBOOK_DYNAMODB_ENDPOINT: local.endpoint });
  ({ handler } = await import("../../functions/auth/patient-profile"));
});

describe("patient profile trigger", () => {
  it("creates the profile of a confirmed sign-up, once", async () => {
    const signUp = event("sub-1", { email: "jo@example.com", name: "Jo Müller", locale: "de-DE" });
    expect(await handler(signUp)).toBe(signUp);
    await handler(event("sub-1", { email: "jo@example.com", name: "Someone Else" }));
    const { data } = await db.patient.get({ patientId: "sub-1" }).go();
    expect(data).toMatchObject({ patientId: "sub-1", regionId: "eu-west", name: "Jo Müller", email: "jo@example.com", preferredLanguage: "de" });
  });

  it("falls back to the e-mail's name and English, and ignores a forgotten-password confirmation", async () => {
    await handler(event("sub-2", { email: "sam@example.com", locale: "klingon-ish!" }));
    expect((await db.patient.get({ patientId: "sub-2" }).go()).data).toMatchObject({ name: "sam", preferredLanguage: "en" });
    await handler(event("sub-3", { email: "x@example.com" }, "PostConfirmation_ConfirmForgotPassword"));
    expect((await db.patient.get({ patientId: "sub-3" }).go()).data).toBeNull();
  });
});
