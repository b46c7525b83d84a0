/**
 * The staff user pool behind `StaffAccounts` (packages/core/src/admin/staff.ts): Cognito's admin
 * API through @aws-sdk/client-cognito-identity-provider. The pool id comes from the environment
 * the Api stack gives exactly the routes flagged `managesStaffAccounts` (with IAM for exactly the
 * actions used here, stacks/iam.ts `staffAccountActions`); locally the client talks to the
 * runtime's stand-in (COGNITO_ENDPOINT_ENV), which speaks the same protocol.
 */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
  ListUsersCommand,
  type AttributeType,
} from "@aws-sdk/client-cognito-identity-provider";
import type { StaffAccount, StaffAccounts } from "@carebook/core/admin/staff";
import { ConflictError } from "@carebook/core/errors";
import { COGNITO_ENDPOINT_ENV, poolEnv, poolGroups } from "../auth/pools";

let client: CognitoIdentityProviderClient | undefined;

/** One client per container; the local runtime's endpoint when it set one. */
export function cognito(): CognitoIdentityProviderClient {
  if (!client) {
    const endpoint = process.env[COGNITO_ENDPOINT_ENV];
    client = new CognitoIdentityProviderClient(
      endpoint ? { endpoint, region: "local", credentials: { accessKeyId: "local", secretAccessKey: "local" } } : {},
    );
  }
  return client;
}

function staffPoolId(): string {
  const id = process.env[poolEnv.staff.userPoolId];
  if (!id) throw new Error(`${poolEnv.staff.userPoolId} is not set`);
  return id;
}

const attribute = (attributes: AttributeType[] | undefined, name: string) => attributes?.find((a) => a.Name === name)?.Value;

function account(username: string | undefined, attributes: AttributeType[] | undefined): StaffAccount {
  const sub = attribute(attributes, "sub");
  if (!username || !sub) throw new Error("Cognito answered a user without username or sub");
  return { sub, username };
}

/** A Cognito `ListUsers` filter value: quoted; a `sub` never holds quotes or backslashes. */
const filterable = (value: string) => !/["\\]/.test(value);

export function staffAccounts(
  cognitoClient: CognitoIdentityProviderClient = cognito(),
  UserPoolId: string = staffPoolId(),
): StaffAccounts {
  const send = cognitoClient.send.bind(cognitoClient) as CognitoIdentityProviderClient["send"];
  return {
    async invite({ email, name }) {
      try {
        // E-mail as the username (the pool signs in by e-mail), verified: the invitation goes
        // there, with the pool's invitation template and a temporary password.
        const created = await send(
          new AdminCreateUserCommand({
            UserPoolId,
            Username: email,
            DesiredDeliveryMediums: ["EMAIL"],
            UserAttributes: [
              { Name: "email", Value: email },
              { Name: "email_verified", Value: "true" },
              { Name: "name", Value: name },
            ],
          }),
        );
        return { ...account(created.User?.Username, created.User?.Attributes), created: true };
      } catch (error) {
        if ((error as Error).name !== "UsernameExistsException") throw error;
      }
      // The e-mail has an account already: the retry of an invitation whose record was not
      // written, or an account made outside Carebook. Adopt it; the caller decides about records.
      try {
        const user = await send(new AdminGetUserCommand({ UserPoolId, Username: email }));
        return { ...account(user.Username, user.UserAttributes), created: false };
      } catch (error) {
        // Taken, yet not a user of this pool (the local stand-in shares e-mails across pools).
        if ((error as Error).name === "UserNotFoundException") throw new ConflictError("EMAIL_TAKEN", "This e-mail belongs to another account");
        throw error;
      }
    },

    async find(sub) {
      if (!filterable(sub)) return undefined;
      const { Users } = await send(new ListUsersCommand({ UserPoolId, Filter: `sub = "${sub}"`, Limit: 1 }));
      const user = Users?.[0];
      return user ? account(user.Username, user.Attributes) : undefined;
    },

    async sync({ username: Username }, { roles, active }) {
      const user = await send(new AdminGetUserCommand({ UserPoolId, Username }));
      // Deactivation first, so a failure below leaves the account closed rather than open.
      if (!active) {
        if (user.Enabled !== false) await send(new AdminDisableUserCommand({ UserPoolId, Username }));
        // Every time, not only when disabling: a retry after a crash between the two must still end the sessions.
        await send(new AdminUserGlobalSignOutCommand({ UserPoolId, Username }));
      }
      const current = new Set<string>();
      let NextToken: string | undefined;
      do {
        const page = await send(new AdminListGroupsForUserCommand({ UserPoolId, Username, NextToken, Limit: 60 }));
        for (const g of page.Groups ?? []) if (g.GroupName) current.add(g.GroupName);
        NextToken = page.NextToken;
      } while (NextToken);
      // Only the pool's role groups are Carebook's to keep; any other group is left alone.
      for (const group of poolGroups.staff) {
        const wanted = roles.includes(group);
        if (wanted && !current.has(group)) await send(new AdminAddUserToGroupCommand({ UserPoolId, Username, GroupName: group }));
        if (!wanted && current.has(group)) await send(new AdminRemoveUserFromGroupCommand({ UserPoolId, Username, GroupName: group }));
      }
      // Re-enabled last: the account opens with its groups already right.
      if (active && user.Enabled === false) await send(new AdminEnableUserCommand({ UserPoolId, Username }));
    },
  };
}
