/**
 * The staff pool's admin API as Cognito serves it, for the staff functions'
 * CognitoIdentityProviderClient (functions/lib/staff-accounts.ts), backed by the local issuer's
 * users (auth.ts). AWS JSON 1.1: `POST` with `x-amz-target:
 * AWSCognitoIdentityProviderService.<Action>` and a JSON body; the SDK keeps the endpoint's path
 * and adds "/". Errors are 400 `{"__type": "<Exception>", "message": …}` (and
 * `x-amzn-errortype`), which the SDK raises as its exception classes (UsernameExistsException,
 * UserNotFoundException, ResourceNotFoundException, InvalidParameterException).
 *
 * Actions: AdminCreateUser, AdminGetUser, ListUsers (filter `sub = "…"` or `email = "…"`),
 * AdminListGroupsForUser, AdminAddUserToGroup, AdminRemoveUserFromGroup, AdminDisableUser,
 * AdminEnableUser, AdminUserGlobalSignOut — what the staff functions call. Only the staff pool
 * (`LOCAL_STAFF_POOL_ID`) and its users exist here. Usernames are the `sub` (as in a Cognito pool
 * that signs in by e-mail); e-mail addresses are accepted wherever Cognito accepts the alias.
 *
 * The invitation: the local issuer has no "new password required" or "set up TOTP" step, so
 * AdminCreateUser gives the account a random temporary password that simply stays its password,
 * and enrols a TOTP secret (staff must have one to sign in). Both are in the invitation e-mail,
 * written to the local outbox (`GET /local/outbox?recipient=<e-mail>`) as Cognito would send it.
 *
 * Refused outside the local runtime, like the issuer it serves.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createLocalChannels } from "../../../functions/lib/channels/local";
import { assertLocalRuntime, POOL_GROUPS, type LocalIssuer, type LocalUser } from "./auth";
import { newTotpSecret, totpUri } from "./totp";

export const LOCAL_STAFF_POOL_ID = "eu-west-1_LocalStaff";
const TARGET_PREFIX = "AWSCognitoIdentityProviderService.";
const MAX_REQUEST_BYTES = 64 * 1024;

type Body = Record<string, unknown>;

class CognitoError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const fail = (type: string, message: string): never => {
  throw new CognitoError(type, message);
};

function requireString(body: Body, field: string): string {
  const value = body[field];
  if (typeof value !== "string" || value === "") fail("InvalidParameterException", `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null`);
  return value as string;
}

/** Cognito's UserType / AdminGetUser answer of a local user. */
function attributes(user: LocalUser) {
  return [
    { Name: "sub", Value: user.sub },
    { Name: "email", Value: user.email },
    { Name: "email_verified", Value: "true" },
    { Name: "name", Value: user.name },
  ];
}
function userType(user: LocalUser) {
  const created = Date.parse(user.createdAt) / 1000;
  return { Username: user.sub, Attributes: attributes(user), Enabled: user.enabled, UserStatus: "CONFIRMED", UserCreateDate: created, UserLastModifiedDate: created };
}

export function cognitoAdminOperations(issuer: LocalIssuer, outboxDir: string): Record<string, (body: Body) => Promise<unknown>> {
  assertLocalRuntime();
  const mail = createLocalChannels({ dir: outboxDir }).adapters.email;

  const checkPool = (body: Body) => {
    const id = requireString(body, "UserPoolId");
    if (id !== LOCAL_STAFF_POOL_ID) fail("ResourceNotFoundException", `User pool ${id} does not exist.`);
  };
  /** A staff user by username (= sub) or e-mail alias. */
  const userOf = (body: Body): LocalUser => {
    checkPool(body);
    const name = requireString(body, "Username");
    const user = issuer.findUserBySub(name) ?? issuer.findUser(name);
    if (!user || user.pool !== "staff") fail("UserNotFoundException", "User does not exist.");
    return user!;
  };
  const groupOf = (body: Body) => {
    const group = requireString(body, "GroupName");
    if (!POOL_GROUPS.staff.includes(group)) fail("ResourceNotFoundException", "Group not found.");
    return group;
  };

  return {
    async AdminCreateUser(body) {
      checkPool(body);
      const username = requireString(body, "Username");
      const given = Object.fromEntries(
        (Array.isArray(body.UserAttributes) ? body.UserAttributes : []).map((a: { Name?: unknown; Value?: unknown }) => [a.Name, a.Value]),
      );
      const email = typeof given.email === "string" ? given.email : username;
      // E-mails are unique across the local pools (one sign-in endpoint serves both).
      if (issuer.findUser(email) || issuer.findUser(username)) fail("UsernameExistsException", "An account with the given email already exists.");
      const password = randomBytes(12).toString("base64url");
      const totpSecret = newTotpSecret();
      let user: LocalUser;
      try {
        user = await issuer.addUser({ email, password, name: typeof given.name === "string" ? given.name : email, groups: [], pool: "staff", totpSecret });
      } catch (error) {
        if ((error as { code?: string }).code === "EMAIL_TAKEN") fail("UsernameExistsException", "An account with the given email already exists.");
        if ((error as { code?: string }).code === "VALIDATION_FAILED") fail("InvalidParameterException", (error as Error).message);
        throw error;
      }
      if (body.MessageAction !== "SUPPRESS") {
        await mail.send({
          messageId: `invitation-${randomUUID()}`,
          channel: "email",
          recipientId: user!.sub,
          to: user!.email,
          language: "en",
          // The staff pool's invitation template (stacks/Auth.ts), then what only the local issuer needs.
          subject: "Your Carebook staff account",
          text:
            `An administrator created your Carebook staff account. Sign in as ${user!.email} with the temporary password ${password} within 3 days.\n\n` +
            `Local runtime: the temporary password stays your password, and your authenticator app's TOTP secret is ${totpSecret} (${totpUri(totpSecret, user!.email)}).`,
        });
      }
      return { User: userType(user!) };
    },
    async AdminGetUser(body) {
      const user = userOf(body);
      const { Attributes, ...rest } = userType(user);
      return { ...rest, UserAttributes: Attributes };
    },
    async ListUsers(body) {
      checkPool(body);
      const filter = typeof body.Filter === "string" ? body.Filter : "";
      const match = /^\s*(sub|email)\s*=\s*"([^"\\]*)"\s*$/.exec(filter);
      if (filter && !match) fail("InvalidParameterException", "Error while parsing filter.");
      const staff = issuer.listUsers().filter((u) => u.pool === "staff");
      const found = match ? staff.filter((u) => (match[1] === "sub" ? u.sub === match[2] : u.email === match[2]!.toLowerCase())) : staff;
      const limit = typeof body.Limit === "number" ? body.Limit : 60;
      return { Users: found.slice(0, limit).map(userType) };
    },
    async AdminListGroupsForUser(body) {
      const user = userOf(body);
      return { Groups: user.groups.map((GroupName) => ({ GroupName, UserPoolId: LOCAL_STAFF_POOL_ID })) };
    },
    async AdminAddUserToGroup(body) {
      const user = userOf(body);
      await issuer.setGroups(user.sub, [...user.groups, groupOf(body)]);
      return {};
    },
    async AdminRemoveUserFromGroup(body) {
      const user = userOf(body);
      const group = groupOf(body);
      await issuer.setGroups(user.sub, user.groups.filter((g) => g !== group));
      return {};
    },
    async AdminDisableUser(body) {
      await issuer.setEnabled(userOf(body).sub, false);
      return {};
    },
    async AdminEnableUser(body) {
      await issuer.setEnabled(userOf(body).sub, true);
      return {};
    },
    async AdminUserGlobalSignOut(body) {
      await issuer.signOutEverywhere(userOf(body).sub);
      return {};
    },
  };
}

function reply(res: ServerResponse, status: number, body: unknown, type?: string) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.1",
    "content-length": String(Buffer.byteLength(text)),
    "x-amzn-requestid": randomUUID(),
    ...(type ? { "x-amzn-errortype": type } : {}),
  });
  res.end(text);
}

const replyError = (res: ServerResponse, status: number, type: string, message: string) => reply(res, status, { __type: type, message }, type);

async function readBody(req: IncomingMessage): Promise<Body | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Body) : undefined;
  } catch {
    return undefined;
  }
}

/** The local routes of the Cognito admin stand-in (for createApiServer's extraRoutes). */
export function cognitoAdminRoutes(issuer: LocalIssuer, outboxDir: string) {
  const operations = cognitoAdminOperations(issuer, outboxDir);
  const endpoint = async (req: IncomingMessage, res: ServerResponse) => {
    const target = String(req.headers["x-amz-target"] ?? "");
    const body = await readBody(req);
    if (!body) return replyError(res, 400, "InvalidParameterException", "The request body is not a JSON object");
    const operation = target.startsWith(TARGET_PREFIX) ? operations[target.slice(TARGET_PREFIX.length)] : undefined;
    if (!operation) return replyError(res, 400, "UnknownOperationException", `Unknown or unsupported operation: ${target}`);
    try {
      reply(res, 200, await operation(body));
    } catch (error) {
      if (error instanceof CognitoError) return replyError(res, 400, error.type, error.message);
      console.error(`[local-cognito] ${target} failed:`, error);
      replyError(res, 500, "InternalErrorException", (error as Error).message);
    }
  };
  return { "POST /local/cognito": endpoint, "POST /local/cognito/": endpoint };
}
