/**
 * Administrators keep the staff records the authorization matrix reads: roles, clinics, the
 * doctor record. A new nurse's record lets them into their clinic's queue at once.
 */
import { randomUUID } from "node:crypto";
import {
  AdminCreateUserCommand,
  AdminListGroupsForUserCommand,
  CognitoIdentityProviderClient,
  ListUsersCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { describe, expect, it } from "vitest";
import { LOCAL_STAFF_POOL_ID } from "@carebook/local/cognito-admin";
import { totpCode } from "@carebook/local/totp";
import { api, apiUrl, signIn, testDb, type ApiResponse } from "./harness";

describe("staff records", () => {
  it("creates, lists and changes a staff record, audited; refuses clinics that are not the admin's and foreign doctor records", async () => {
    const admin = await signIn("admin@demo.carebook.test");
    const sub = `staff-${randomUUID()}`;
    const record = { name: "Nia Nurse", email: "Nia.Nurse@Test.Carebook.Test", roles: ["nurse"], clinicIds: ["london-central"] };

    const created = await api("PUT", `/api/admin/staff/${sub}`, { token: admin, body: record });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body).toMatchObject({ created: true, staff: { sub, email: "nia.nurse@test.carebook.test", roles: ["nurse"], active: true } });
    const listed = await api("GET", "/api/admin/staff", { token: admin });
    expect(listed.body.staff.map((m: { sub: string }) => m.sub)).toEqual(expect.arrayContaining([sub, "demo-nurse"]));

    const moved = await api("PUT", `/api/admin/staff/${sub}`, { token: admin, body: { ...record, clinicIds: ["amsterdam-zuid"] } });
    expect(moved.body).toMatchObject({ created: false, staff: { clinicIds: ["amsterdam-zuid"] } });
    const audit = (await testDb().auditEntry.query.bySubject({ subjectType: "staff", subjectId: sub }).go()).data;
    expect(audit.map((e) => [e.action, e.clinicId]).sort()).toEqual(
      [["staff.created", "london-central"], ["staff.updated", "amsterdam-zuid"], ["staff.updated", "london-central"]].sort(),
    );

    // Bad input, unknown or inactive clinics, another account's doctor record, a doctor record on a nurse.
    for (const [body, status, code] of [
      [{ ...record, roles: [] }, 400, "VALIDATION_FAILED"],
      [{ ...record, roles: ["patient"] }, 400, "VALIDATION_FAILED"],
      [{ ...record, clinicIds: [] }, 400, "VALIDATION_FAILED"],
      [{ ...record, doctorId: "amelia-hughes" }, 400, "VALIDATION_FAILED"],
      [{ ...record, roles: ["doctor"], doctorId: "amelia-hughes" }, 409, "ACCOUNT_ALREADY_LINKED"],
      [{ ...record, clinicIds: ["nowhere"] }, 403, "NOT_YOUR_CLINIC"],
    ] as const) {
      const res = await api("PUT", `/api/admin/staff/${sub}`, { token: admin, body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.code).toBe(code);
    }
    // The admin cannot demote themselves.
    const self = await api("PUT", "/api/admin/staff/demo-admin", {
      token: admin,
      body: { name: "Ada Admin", email: "admin@demo.carebook.test", roles: ["nurse"], clinicIds: ["london-central"] },
    });
    expect(self.status).toBe(422);
    expect(self.body.error.code).toBe("SELF_DEMOTION");
  });
});

// ---------------------------------------------------------------------------------------------
// Invitations: the staff pool account (the runtime's Cognito stand-in), its groups, its record.

const cognito = () =>
  new CognitoIdentityProviderClient({
    endpoint: `${apiUrl()}/local/cognito`,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });

/** The temporary password and TOTP secret of the latest invitation e-mail in the local outbox. */
async function invitation(email: string) {
  const res = await api("GET", `/local/outbox?recipient=${encodeURIComponent(email)}&channel=email`);
  const text: string | undefined = res.body.messages.at(-1)?.text;
  const password = text && /temporary password (\S+) within/.exec(text)?.[1];
  const secret = text && /TOTP secret is ([A-Z2-7]+)/.exec(text)?.[1];
  if (!password || !secret) throw new Error(`no invitation for ${email}: ${JSON.stringify(res.body)}`);
  return { password, secret, count: res.body.messages.length as number };
}

/** Signs in with password and TOTP; a code is good once, so the neighbouring steps are tried too. */
async function signInInvited(email: string, password: string, secret: string) {
  let res: ApiResponse = { status: 0, body: undefined, headers: new Headers() };
  for (const steps of [0, 1, -1]) {
    res = await api("POST", "/local-auth/token", { body: { email, password, totp: totpCode(secret, Date.now() + steps * 30_000) } });
    if (res.body?.error?.code !== "MFA_CODE_REUSED") return res;
  }
  return res;
}

const groupsOf = (idToken: string): string[] => JSON.parse(Buffer.from(idToken.split(".")[1]!, "base64url").toString("utf8"))["cognito:groups"] ?? [];

async function poolUser(email: string) {
  const { Users } = await cognito().send(new ListUsersCommand({ UserPoolId: LOCAL_STAFF_POOL_ID, Filter: `email = "${email}"` }));
  return Users?.[0];
}

describe("a stale edit of a staff record", () => {
  it("is refused (409) when the record changed since the form was loaded, so it cannot undo a deactivation", async () => {
    const admin = await signIn("admin@demo.carebook.test");
    const sub = `staff-${randomUUID()}`;
    const record = { name: "Sam Stale", email: `sam-${sub}@test.carebook.test`, roles: ["nurse"], clinicIds: ["london-central"] };
    const created = await api("PUT", `/api/admin/staff/${sub}`, { token: admin, body: record });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const loaded = created.body.staff.updatedAt as string;

    // Another admin deactivates; the first still has the active record's form open.
    const off = await api("PUT", `/api/admin/staff/${sub}`, { token: admin, body: { ...record, active: false, expectedUpdatedAt: loaded } });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    const stale = await api("PUT", `/api/admin/staff/${sub}`, { token: admin, body: { ...record, name: "Sam S.", active: true, expectedUpdatedAt: loaded } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("CHANGED_MEANWHILE");
    const stored = (await testDb().staffMember.get({ sub }).go({ consistent: true })).data;
    expect(stored).toMatchObject({ active: false, name: "Sam Stale" });
  });
});

describe("staff invitations", () => {
  it("invites a nurse who signs in with the invitation and the groups of the record; role changes and deactivation follow to the account", async () => {
    const admin = await signIn("admin@demo.carebook.test");
    const email = `invitee.${randomUUID()}@test.carebook.test`;
    const record = { name: "Ivy Invitee", email, roles: ["nurse"], clinicIds: ["london-central"] };

    const invited = await api("POST", "/api/admin/staff", { token: admin, body: record });
    expect(invited.status, JSON.stringify(invited.body)).toBe(201);
    expect(invited.body).toMatchObject({ invited: true, staff: { email, roles: ["nurse"], clinicIds: ["london-central"], active: true } });
    const sub: string = invited.body.staff.sub;
    expect((await poolUser(email))?.Username).toBe(sub);
    const audit = (await testDb().auditEntry.query.bySubject({ subjectType: "staff", subjectId: sub }).go()).data;
    expect(audit.map((e) => [e.action, e.clinicId])).toEqual([["staff.created", "london-central"]]);

    // The invitation e-mail's temporary password (and, locally, TOTP secret) signs in; the token carries the record's roles.
    const { password, secret } = await invitation(email);
    const first = await signInInvited(email, password, secret);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(groupsOf(first.body.idToken)).toEqual(["nurse"]);
    expect((await api("GET", "/api/admin/staff", { token: first.body.idToken })).status).toBe(403); // a nurse, not an admin
    expect((await api("POST", "/local-auth/token", { body: { grantType: "refresh_token", refreshToken: first.body.refreshToken } })).status).toBe(200);

    // Roles change → the groups follow (in the tokens of the next sign-in).
    const changed = await api("PUT", `/api/admin/staff/${sub}`, { token: admin, body: { ...record, roles: ["nurse", "support"] } });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({ created: false, account: true, staff: { roles: ["nurse", "support"] } });
    const second = await signInInvited(email, password, secret);
    expect(groupsOf(second.body.idToken).sort()).toEqual(["nurse", "support"]);
    const dropped = await api("PUT", `/api/admin/staff/${sub}`, { token: admin, body: { ...record, roles: ["support"] } });
    expect(dropped.status).toBe(200);
    const { Groups } = await cognito().send(new AdminListGroupsForUserCommand({ UserPoolId: LOCAL_STAFF_POOL_ID, Username: sub }));
    expect(Groups?.map((g) => g.GroupName)).toEqual(["support"]);

    // Deactivated: sign-in refused, the refresh token of the earlier sign-in too (signed out everywhere).
    const off = await api("PUT", `/api/admin/staff/${sub}`, { token: admin, body: { ...record, roles: ["support"], active: false } });
    expect(off.status).toBe(200);
    const refused = await signInInvited(email, password, secret);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe("USER_DISABLED");
    expect((await api("POST", "/local-auth/token", { body: { grantType: "refresh_token", refreshToken: second.body.refreshToken } })).status).toBe(401);
    // Locally the global sign-out also revokes the session's id/access tokens (401); in AWS such a
    // token lives on until expiry, and the inactive record answers 403.
    expect((await api("GET", "/api/support/patients?email=x%40y.test", { token: second.body.idToken })).status).toBe(401);
    expect((await poolUser(email))?.Enabled).toBe(false);

    // Reactivated: signs in again.
    const on = await api("PUT", `/api/admin/staff/${sub}`, { token: admin, body: { ...record, roles: ["support"], active: true } });
    expect(on.status).toBe(200);
    const back = await signInInvited(email, password, secret);
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(groupsOf(back.body.idToken)).toEqual(["support"]);
  });

  it("completes a half-done invitation on retry: the account exists, the record does not", async () => {
    const admin = await signIn("admin@demo.carebook.test");
    const email = `halfway.${randomUUID()}@test.carebook.test`;
    // What a crash after AdminCreateUser leaves behind: an account with no groups and no record.
    const created = await cognito().send(
      new AdminCreateUserCommand({ UserPoolId: LOCAL_STAFF_POOL_ID, Username: email, UserAttributes: [{ Name: "email", Value: email }] }),
    );
    const sub = created.User!.Username!;
    expect(await testDb().staffMember.get({ sub }).go()).toMatchObject({ data: null });

    const retried = await api("POST", "/api/admin/staff", {
      token: admin,
      body: { name: "Hal Halfway", email, roles: ["doctor", "nurse"], clinicIds: ["london-central"] },
    });
    expect(retried.status, JSON.stringify(retried.body)).toBe(201);
    expect(retried.body).toMatchObject({ invited: false, staff: { sub, roles: ["doctor", "nurse"] } });
    const { Groups } = await cognito().send(new AdminListGroupsForUserCommand({ UserPoolId: LOCAL_STAFF_POOL_ID, Username: sub }));
    expect(Groups?.map((g) => g.GroupName).sort()).toEqual(["doctor", "nurse"]);
    expect((await invitation(email)).count).toBe(1); // one invitation e-mail, from the first attempt
  });

  it("answers 409 for an e-mail that already has a staff record, leaving its groups alone; 400 for bad input", async () => {
    const admin = await signIn("admin@demo.carebook.test");
    const email = `twice.${randomUUID()}@test.carebook.test`;
    const record = { name: "Tess Twice", email, roles: ["nurse"], clinicIds: ["london-central"] };
    expect((await api("POST", "/api/admin/staff", { token: admin, body: record })).status).toBe(201);
    const again = await api("POST", "/api/admin/staff", { token: admin, body: { ...record, email: email.toUpperCase(), roles: ["admin"] } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("STAFF_EXISTS");
    const sub = (await poolUser(email))!.Username!;
    const { Groups } = await cognito().send(new AdminListGroupsForUserCommand({ UserPoolId: LOCAL_STAFF_POOL_ID, Username: sub }));
    expect(Groups?.map((g) => g.GroupName)).toEqual(["nurse"]);
    // A demo account (seeded record) likewise.
    const demo = await api("POST", "/api/admin/staff", { token: admin, body: { ...record, email: "nurse@demo.carebook.test" } });
    expect(demo.status).toBe(409);

    for (const body of [{ ...record, email: "not-an-email" }, { ...record, roles: [] }, { ...record, sub: "x" }]) {
      const res = await api("POST", "/api/admin/staff", { token: admin, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
    }
  });

  it("refuses (403) an invitation to a clinic that is not the admin's, creating no account", async () => {
    const admin = await signIn("admin@demo.carebook.test");
    const amsterdamAdmin = `ams.admin.${randomUUID()}@test.carebook.test`;
    const invited = await api("POST", "/api/admin/staff", {
      token: admin,
      body: { name: "Ada Amsterdam", email: amsterdamAdmin, roles: ["admin"], clinicIds: ["amsterdam-zuid"] },
    });
    expect(invited.status, JSON.stringify(invited.body)).toBe(201);
    const { password, secret } = await invitation(amsterdamAdmin);
    const signedIn = await signInInvited(amsterdamAdmin, password, secret);
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);

    const email = `london.${randomUUID()}@test.carebook.test`;
    const res = await api("POST", "/api/admin/staff", {
      token: signedIn.body.idToken,
      body: { name: "Lon Don", email, roles: ["nurse"], clinicIds: ["london-central"] },
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("NOT_YOUR_CLINIC");
    expect(await poolUser(email)).toBeUndefined();
    // Nor may they change a London nurse's record.
    const put = await api("PUT", "/api/admin/staff/demo-nurse", {
      token: signedIn.body.idToken,
      body: { name: "Nadia Nurse", email: "nurse@demo.carebook.test", roles: ["nurse"], clinicIds: ["amsterdam-zuid"] },
    });
    expect(put.status).toBe(403);

    // Support reaches the patients of every clinic: an admin of one clinic cannot hand it out.
    const supportEmail = `support.${randomUUID()}@test.carebook.test`;
    const support = await api("POST", "/api/admin/staff", {
      token: signedIn.body.idToken,
      body: { name: "Sue Port", email: supportEmail, roles: ["support"], clinicIds: [] },
    });
    expect(support.status, JSON.stringify(support.body)).toBe(403);
    expect(support.body.error).toMatchObject({ code: "REGION_ADMIN_REQUIRED", details: { clinicIds: expect.arrayContaining(["london-central"]) } });
    expect(await poolUser(supportEmail)).toBeUndefined();
    const ownClinicSupport = await api("PUT", `/api/admin/staff/staff-${randomUUID()}`, {
      token: signedIn.body.idToken,
      body: { name: "Ams Support", email: `ams.support.${randomUUID()}@test.carebook.test`, roles: ["nurse", "support"], clinicIds: ["amsterdam-zuid"] },
    });
    expect(ownClinicSupport.status).toBe(403);
    expect(ownClinicSupport.body.error.code).toBe("REGION_ADMIN_REQUIRED");
  });
});
