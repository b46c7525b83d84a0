/**
 * The deployed path of staff accounts (functions/lib/staff-accounts.ts) against a mocked
 * Cognito: what it sends, and how it turns Cognito's answers into convergence or errors.
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
  UsernameExistsException,
  UserNotFoundException,
} from "@aws-sdk/client-cognito-identity-provider";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { staffAccounts } from "../../functions/lib/staff-accounts";

const POOL = "eu-west-1_Staff";
const cognito = mockClient(CognitoIdentityProviderClient);
const accounts = () => staffAccounts(new CognitoIdentityProviderClient({ region: "eu-west-1" }), POOL);
const attrs = (sub: string) => [{ Name: "sub", Value: sub }, { Name: "email", Value: "a@b.test" }];

beforeEach(() => cognito.reset());

describe("staff accounts on Cognito", () => {
  it("creates the user with the e-mail as username, verified, invited by e-mail", async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: { Username: "sub-1", Attributes: attrs("sub-1") } });
    await expect(accounts().invite({ email: "a@b.test", name: "A" })).resolves.toEqual({ sub: "sub-1", username: "sub-1", created: true });
    expect(cognito.commandCalls(AdminCreateUserCommand)[0]!.args[0].input).toMatchObject({
      UserPoolId: POOL,
      Username: "a@b.test",
      DesiredDeliveryMediums: ["EMAIL"],
      UserAttributes: expect.arrayContaining([{ Name: "email_verified", Value: "true" }]),
    });
  });

  it("adopts the existing user on UsernameExistsException (AdminGetUser), sending no second invitation", async () => {
    cognito.on(AdminCreateUserCommand).rejects(new UsernameExistsException({ message: "exists", $metadata: {} }));
    cognito.on(AdminGetUserCommand, { UserPoolId: POOL, Username: "a@b.test" }).resolves({ Username: "sub-2", UserAttributes: attrs("sub-2") });
    await expect(accounts().invite({ email: "a@b.test", name: "A" })).resolves.toEqual({ sub: "sub-2", username: "sub-2", created: false });
    expect(cognito.commandCalls(AdminCreateUserCommand)).toHaveLength(1);
  });

  it("answers 409 EMAIL_TAKEN when the e-mail is taken yet the user cannot be found, and passes other errors on", async () => {
    cognito.on(AdminCreateUserCommand).rejects(new UsernameExistsException({ message: "exists", $metadata: {} }));
    cognito.on(AdminGetUserCommand).rejects(new UserNotFoundException({ message: "gone", $metadata: {} }));
    await expect(accounts().invite({ email: "a@b.test", name: "A" })).rejects.toMatchObject({ status: 409, code: "EMAIL_TAKEN" });

    cognito.reset();
    const throttled = Object.assign(new Error("slow down"), { name: "TooManyRequestsException" });
    cognito.on(AdminCreateUserCommand).rejects(throttled);
    await expect(accounts().invite({ email: "a@b.test", name: "A" })).rejects.toBe(throttled);
    expect(cognito.commandCalls(AdminGetUserCommand)).toHaveLength(0);
  });

  it("finds a user by sub with a ListUsers filter; a sub that cannot be quoted finds no one", async () => {
    cognito.on(ListUsersCommand).resolves({ Users: [{ Username: "u-3", Attributes: attrs("sub-3") }] });
    await expect(accounts().find("sub-3")).resolves.toEqual({ sub: "sub-3", username: "u-3" });
    expect(cognito.commandCalls(ListUsersCommand)[0]!.args[0].input).toMatchObject({ UserPoolId: POOL, Filter: 'sub = "sub-3"' });
    await expect(accounts().find('x" or sub = "y')).resolves.toBeUndefined();
    expect(cognito.commandCalls(ListUsersCommand)).toHaveLength(1);
  });

  it("syncs groups to the roles (only the pool's role groups), disables and signs out when inactive", async () => {
    cognito.on(AdminGetUserCommand).resolves({ Username: "u", Enabled: true });
    cognito
      .on(AdminListGroupsForUserCommand)
      .resolvesOnce({ Groups: [{ GroupName: "nurse" }, { GroupName: "ward-7" }], NextToken: "p2" })
      .resolvesOnce({ Groups: [{ GroupName: "admin" }] });
    await accounts().sync({ sub: "s", username: "u" }, { roles: ["nurse", "doctor"], active: false });
    expect(cognito.commandCalls(AdminAddUserToGroupCommand).map((c) => c.args[0].input.GroupName)).toEqual(["doctor"]);
    expect(cognito.commandCalls(AdminRemoveUserFromGroupCommand).map((c) => c.args[0].input.GroupName)).toEqual(["admin"]);
    expect(cognito.commandCalls(AdminDisableUserCommand)).toHaveLength(1);
    expect(cognito.commandCalls(AdminUserGlobalSignOutCommand)).toHaveLength(1);
    expect(cognito.commandCalls(AdminEnableUserCommand)).toHaveLength(0);
  });

  it("re-enables a disabled user when active, and signs an already disabled one out again when inactive", async () => {
    cognito.on(AdminGetUserCommand).resolves({ Username: "u", Enabled: false });
    cognito.on(AdminListGroupsForUserCommand).resolves({ Groups: [{ GroupName: "nurse" }] });
    await accounts().sync({ sub: "s", username: "u" }, { roles: ["nurse"], active: true });
    expect(cognito.commandCalls(AdminEnableUserCommand)).toHaveLength(1);
    expect(cognito.commandCalls(AdminAddUserToGroupCommand)).toHaveLength(0);

    cognito.resetHistory();
    await accounts().sync({ sub: "s", username: "u" }, { roles: ["nurse"], active: false });
    expect(cognito.commandCalls(AdminDisableUserCommand)).toHaveLength(0);
    expect(cognito.commandCalls(AdminUserGlobalSignOutCommand)).toHaveLength(1);
  });
});
