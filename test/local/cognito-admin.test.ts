/**
 * The local stand-in for Cognito's admin API (packages/local/src/cognito-admin.ts), spoken to by
 * the real CognitoIdentityProviderClient: exceptions of the SDK's classes, the issuer's users
 * behind it, the invitation in the outbox, and its refusal inside Lambda.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  ListUsersCommand,
  ResourceNotFoundException,
  UsernameExistsException,
  UserNotFoundException,
} from "@aws-sdk/client-cognito-identity-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readOutbox } from "../../functions/lib/channels/local";
import { createLocalIssuer, type LocalIssuer } from "../../packages/local/src/auth";
import { cognitoAdminOperations, cognitoAdminRoutes, LOCAL_STAFF_POOL_ID } from "../../packages/local/src/cognito-admin";
import { totpCode } from "../../packages/local/src/totp";

let issuer: LocalIssuer;
let server: Server;
let client: CognitoIdentityProviderClient;
const outbox = mkdtempSync(join(tmpdir(), "carebook-cognito-outbox-"));
const Pool = { UserPoolId: LOCAL_STAFF_POOL_ID };

beforeAll(async () => {
  issuer = await createLocalIssuer({ issuerUrl: "http://127.0.0.1/local-auth", audience: "test" });
  await issuer.signUp({ email: "patient@test.carebook.test", password: "a-long-patient-password", name: "Pat" });
  const routes = cognitoAdminRoutes(issuer, outbox);
  server = createServer((req, res) => void routes[`POST ${req.url}` as keyof typeof routes]?.(req, res));
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  client = new CognitoIdentityProviderClient({
    endpoint: `http://127.0.0.1:${port}/local/cognito`,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  await new Promise((done) => server.close(done));
  rmSync(outbox, { recursive: true, force: true });
});

describe("local Cognito admin API", () => {
  it("creates a staff user who signs in with the invitation's password and TOTP; a second create raises UsernameExistsException", async () => {
    const email = "invited@test.carebook.test";
    const { User } = await client.send(new AdminCreateUserCommand({ ...Pool, Username: email, UserAttributes: [{ Name: "email", Value: email }, { Name: "name", Value: "Ina" }] }));
    const sub = User!.Attributes!.find((a) => a.Name === "sub")!.Value!;
    expect(User!.Username).toBe(sub);
    expect(issuer.findUser(email)).toMatchObject({ pool: "staff", groups: [], enabled: true, totpEnabled: true });

    const [mail] = await readOutbox(outbox, { recipient: email });
    expect(mail).toMatchObject({ channel: "email", to: email, subject: "Your Carebook staff account" });
    const password = /temporary password (\S+) within/.exec(mail!.text)![1]!;
    const secret = /TOTP secret is ([A-Z2-7]+)/.exec(mail!.text)![1]!;
    await client.send(new AdminAddUserToGroupCommand({ ...Pool, Username: email, GroupName: "nurse" }));
    const tokens = await issuer.issueTokens({ email, password, totp: totpCode(secret, Date.now()) });
    expect(JSON.parse(Buffer.from(tokens.idToken.split(".")[1]!, "base64url").toString())["cognito:groups"]).toEqual(["nurse"]);

    await expect(client.send(new AdminCreateUserCommand({ ...Pool, Username: email }))).rejects.toBeInstanceOf(UsernameExistsException);
    // Disabled: no sign-in, no refresh.
    await client.send(new AdminDisableUserCommand({ ...Pool, Username: sub }));
    await expect(issuer.issueTokens({ email, password, totp: totpCode(secret, Date.now() + 30_000) })).rejects.toMatchObject({ code: "USER_DISABLED" });
    await expect(issuer.refreshTokens({ refreshToken: tokens.refreshToken })).rejects.toMatchObject({ status: 401 });
    expect((await client.send(new ListUsersCommand({ ...Pool, Filter: `sub = "${sub}"` }))).Users?.map((u) => u.Enabled)).toEqual([false]);
  });

  it("knows only the staff pool's users and groups, and answers in Cognito's exceptions", async () => {
    // A patient's e-mail: taken (e-mails are unique across the local pools), yet not a staff user.
    await expect(client.send(new AdminCreateUserCommand({ ...Pool, Username: "patient@test.carebook.test" }))).rejects.toBeInstanceOf(UsernameExistsException);
    await expect(client.send(new AdminGetUserCommand({ ...Pool, Username: "patient@test.carebook.test" }))).rejects.toBeInstanceOf(UserNotFoundException);
    await expect(client.send(new AdminGetUserCommand({ UserPoolId: "eu-west-1_Other", Username: "x" }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    const email = "grouped@test.carebook.test";
    await client.send(new AdminCreateUserCommand({ ...Pool, Username: email, MessageAction: "SUPPRESS" }));
    await expect(client.send(new AdminAddUserToGroupCommand({ ...Pool, Username: email, GroupName: "patient" }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(await readOutbox(outbox, { recipient: email })).toEqual([]);
    await expect(client.send(new ListUsersCommand({ ...Pool, Filter: "sub ^= 1" }))).rejects.toMatchObject({ name: "InvalidParameterException" });
  });

  it("is refused inside AWS Lambda", () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = "carebook-route";
    try {
      expect(() => cognitoAdminOperations(issuer, outbox)).toThrow(/refused inside AWS Lambda/);
    } finally {
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    }
  });
});
