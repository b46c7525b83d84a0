/**
 * The Auth stack: the two user pools, their app clients, threat protection, the staff groups,
 * federation when a stage configures a hospital identity provider, and the WebACL in front of
 * both pools. The test and production stages as the run synthesized them once
 * (test/stacks/global-setup.ts); the stages with an identity provider are built here, from
 * settings of this file's own, unfinished (no handler bundling needed for their templates).
 */
import { Match, Template } from "aws-cdk-lib/assertions";
import { getStack } from "sst/constructs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolGroups } from "../../functions/auth/pools";
import { Auth, cognitoRateRules } from "../../stacks/Auth";
import { cognitoDomainPrefixOf, type StageSettings, stageConfig, stageSettings } from "../../stacks/config";
import {
  buildApp,
  initProjectInBeforeAll,
  ofType,
  onlyOfType,
  referencedId,
  render,
  type Resources,
  resourcesOf,
  synthesisOf,
} from "./synth";

initProjectInBeforeAll("auth");

const samlStage = "test-saml";
const oidcStage = "test-oidc";
const oidcSecretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hospital-oidc-AbCdEf";
const testStages: Record<string, StageSettings> = {
  [samlStage]: {
    staffIdentityProvider: {
      type: "saml",
      name: "StMarys",
      metadataUrl: "https://idp.st-marys.example/metadata.xml",
    },
  },
  [oidcStage]: {
    staffIdentityProvider: {
      type: "oidc",
      name: "Charite",
      issuerUrl: "https://login.charite.example",
      clientId: "carebook",
      clientSecretArn: oidcSecretArn,
    },
    cognitoDomainPrefix: "carebook-charite",
    webDomain: { domainName: "app.charite.example", hostedZone: { hostedZoneId: "Z0123456789ABCDEFGHIJ", zoneName: "charite.example" } },
  },
};

let test: Template;
let prod: Template;
let saml: Template;
let oidc: Template;
let resources: Resources;

function authTemplate(stage: string): Template {
  // A new App replaces SST's global app; the template is taken before the next one.
  buildApp(stage);
  return Template.fromStack(getStack(Auth));
}

beforeAll(() => {
  test = synthesisOf("test").template(Auth);
  prod = synthesisOf("prod").template(Auth);
  Object.assign(stageSettings, testStages);
  saml = authTemplate(samlStage);
  oidc = authTemplate(oidcStage);
  resources = resourcesOf(test);
}, 60_000);

afterAll(() => {
  for (const stage of Object.keys(testStages)) delete stageSettings[stage];
});

/** The logical id of the pool whose UserPoolName ends with `-<name>`. */
function poolId(template: Template, name: "patients" | "staff"): string {
  const pools = ofType(resourcesOf(template), "AWS::Cognito::UserPool").filter(([, pool]) =>
    String(pool.Properties.UserPoolName).endsWith(`-${name}`),
  );
  expect(pools, `the ${name} pool`).toHaveLength(1);
  return pools[0]![0];
}

function clientOf(template: Template, pool: "patients" | "staff") {
  const id = poolId(template, pool);
  const clients = ofType(resourcesOf(template), "AWS::Cognito::UserPoolClient").filter(
    ([, client]) => referencedId(client.Properties.UserPoolId) === id,
  );
  expect(clients, `app clients of the ${pool} pool`).toHaveLength(1);
  return clients[0]![1].Properties;
}

describe("Auth stack: the user pools", () => {
  it("creates exactly two pools, patients and staff", () => {
    test.resourceCountIs("AWS::Cognito::UserPool", 2);
    poolId(test, "patients");
    poolId(test, "staff");
  });

  it("lets patients sign themselves up with a verified e-mail and a name", () => {
    expect(resources[poolId(test, "patients")]!.Properties).toMatchObject({
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
      UsernameAttributes: ["email"],
      UsernameConfiguration: { CaseSensitive: false },
      AutoVerifiedAttributes: ["email"],
      Schema: expect.arrayContaining([
        { Name: "email", Required: true, Mutable: true },
        { Name: "name", Required: true, Mutable: true },
      ]),
    });
  });

  it("lets only administrators create staff accounts", () => {
    expect(resources[poolId(test, "staff")]!.Properties).toMatchObject({
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      UsernameAttributes: ["email"],
      AutoVerifiedAttributes: ["email"],
    });
  });

  it("offers patients TOTP and requires it of staff, never SMS", () => {
    expect(resources[poolId(test, "patients")]!.Properties).toMatchObject({
      MfaConfiguration: "OPTIONAL",
      EnabledMfas: ["SOFTWARE_TOKEN_MFA"],
    });
    expect(resources[poolId(test, "staff")]!.Properties).toMatchObject({
      MfaConfiguration: "ON",
      EnabledMfas: ["SOFTWARE_TOKEN_MFA"],
    });
  });

  it.each(["patients", "staff"] as const)(
    "gives the %s pool passwords of 12+ characters, recovery by e-mail only, and enforced threat protection",
    (pool) => {
      const id = poolId(test, pool);
      expect(resources[id]!.Properties).toMatchObject({
        Policies: { PasswordPolicy: { MinimumLength: 12, PasswordHistorySize: 5 } },
        AccountRecoverySetting: { RecoveryMechanisms: [{ Name: "verified_email", Priority: 1 }] },
        UserPoolTier: "PLUS",
        UserPoolAddOns: { AdvancedSecurityMode: "ENFORCED" },
      });
      // Breached passwords blocked; risky sign-ins challenged or blocked — for every client.
      const attachments = ofType(resources, "AWS::Cognito::UserPoolRiskConfigurationAttachment").filter(
        ([, a]) => referencedId(a.Properties.UserPoolId) === id,
      );
      expect(attachments).toHaveLength(1);
      expect(attachments[0]![1].Properties).toMatchObject({
        ClientId: "ALL",
        CompromisedCredentialsRiskConfiguration: { Actions: { EventAction: "BLOCK" } },
        AccountTakeoverRiskConfiguration: {
          Actions: { HighAction: { EventAction: "BLOCK" }, MediumAction: { EventAction: "MFA_IF_CONFIGURED" } },
        },
      });
    },
  );

  it("puts staff groups in the staff pool only", () => {
    const groups = ofType(resources, "AWS::Cognito::UserPoolGroup");
    const staff = poolId(test, "staff");
    expect(groups.map(([, g]) => g.Properties.GroupName).sort()).toEqual([...poolGroups.staff].sort());
    for (const [, group] of groups) expect(referencedId(group.Properties.UserPoolId)).toBe(staff);
  });

  it("gives every patients-pool token the patient group through a version-2 pre-token trigger", () => {
    const config = resources[poolId(test, "patients")]!.Properties.LambdaConfig;
    expect(config.PreTokenGenerationConfig.LambdaVersion).toBe("V2_0");
    const fn = resources[referencedId(config.PreTokenGenerationConfig.LambdaArn)!]!;
    expect(fn.Type).toBe("AWS::Lambda::Function");
    // No trigger on the staff pool: administrators decide staff groups.
    expect(resources[poolId(test, "staff")]!.Properties.LambdaConfig).toBeUndefined();
  });

  it("creates a confirmed patient's profile through a post-confirmation trigger that may write the table", () => {
    const config = resources[poolId(test, "patients")]!.Properties.LambdaConfig;
    const fnId = referencedId(config.PostConfirmation)!;
    const fn = resources[fnId]!;
    expect(fn.Type).toBe("AWS::Lambda::Function");
    expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(expect.arrayContaining(["TABLE_NAME", "CAREBOOK_REGION_ID"]));
    const policies = ofType(resources, "AWS::IAM::Policy").filter(([, p]) =>
      (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r).includes(referencedId(fn.Properties.Role) ?? "\u0000")),
    );
    const actions = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement.flatMap((st: { Action: string | string[] }) => st.Action));
    expect(actions).toEqual(expect.arrayContaining(["dynamodb:PutItem", "dynamodb:GetItem"]));
  });

  it("lets the test stage delete its pools, and keeps a production stage's", () => {
    for (const name of ["patients", "staff"] as const) {
      expect(resources[poolId(test, name)]).toMatchObject({
        DeletionPolicy: "Delete",
        Properties: { DeletionProtection: "INACTIVE" },
      });
      expect(resourcesOf(prod)[poolId(prod, name)]).toMatchObject({
        DeletionPolicy: "Retain",
        UpdateReplacePolicy: "Retain",
        Properties: { DeletionProtection: "ACTIVE" },
      });
    }
  });

  it("sends a production stage's e-mail through SES, the test stage's through Cognito", () => {
    expect(resources[poolId(test, "patients")]!.Properties.EmailConfiguration).toEqual({
      EmailSendingAccount: "COGNITO_DEFAULT",
    });
    expect(resourcesOf(prod)[poolId(prod, "patients")]!.Properties.EmailConfiguration).toMatchObject({
      EmailSendingAccount: "DEVELOPER",
      From: "Carebook <no-reply@carebook.example>",
    });
  });
});

describe("Auth stack: the app clients", () => {
  it.each([
    ["patients", 43_200],
    ["staff", 720],
  ] as const)(
    "gives the %s app a public SRP client with short tokens and a refresh token of %i minutes",
    (pool, refreshMinutes) => {
      expect(clientOf(test, pool)).toMatchObject({
        GenerateSecret: false,
        ExplicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        EnableTokenRevocation: true,
        PreventUserExistenceErrors: "ENABLED",
        AccessTokenValidity: 15,
        IdTokenValidity: 15,
        RefreshTokenValidity: refreshMinutes,
        TokenValidityUnits: { AccessToken: "minutes", IdToken: "minutes", RefreshToken: "minutes" },
      });
    },
  );

  /** The client's URLs as text: the web app's distribution is another stack's (an import). */
  const urls = (value: unknown[]) => value.map((url) => (typeof url === "string" ? url : JSON.stringify(url)));
  const fromDistribution = (path: string, stage = "test") =>
    expect.stringMatching(new RegExp(`"https://",.*"${stage}-carebook-Web:ExportsOutputFnGetAttSiteDistribution\\w+DomainName\\w+"\\},"${path}"`));

  it.each(["patients", "staff"] as const)(
    "lets the web app sign in on the %s pool's hosted pages: code flow with PKCE, back to the app's addresses only",
    (pool) => {
      const client = clientOf(test, pool);
      expect(client).toMatchObject({
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthFlows: ["code"],
        AllowedOAuthScopes: expect.arrayContaining(["openid", "email", "profile"]),
        SupportedIdentityProviders: ["COGNITO"],
      });
      // The site's distribution, and on a throwaway stage Vite's development server.
      expect(urls(client.CallbackURLs)).toEqual([fromDistribution("/auth/callback"), "http://localhost:5173/auth/callback"]);
      expect(urls(client.LogoutURLs)).toEqual([fromDistribution("/signin"), "http://localhost:5173/signin"]);
      // No implicit flow (tokens in the URL) and no client secret (a browser cannot keep one).
      expect(client.AllowedOAuthFlows).not.toContain("implicit");
      expect(client.GenerateSecret).toBe(false);
    },
  );

  it("never sends a production stage's sign-ins to a development server", () => {
    for (const pool of ["patients", "staff"] as const) {
      const client = clientOf(prod, pool);
      expect(urls([...client.CallbackURLs, ...client.LogoutURLs]).join(" ")).not.toContain("localhost");
      expect(client.CallbackURLs).toHaveLength(1);
    }
  });

  it("gives each pool its hosted sign-in domain, named after the stage", () => {
    const domains = ofType(resources, "AWS::Cognito::UserPoolDomain").map(([, d]) => [d.Properties.Domain, referencedId(d.Properties.UserPoolId)]);
    expect(domains.sort()).toEqual([
      ["carebook-test-patients", poolId(test, "patients")],
      ["carebook-test-staff", poolId(test, "staff")],
    ]);
    test.resourceCountIs("AWS::Cognito::UserPoolIdentityProvider", 0);
    test.hasOutput("PatientsSignInDomain", {});
    test.hasOutput("StaffSignInDomain", {});
  });

  it("names the domains after any stage, and refuses a prefix Cognito would refuse at deployment", () => {
    expect(stageConfig("Dev_Alice").cognitoDomainPrefix).toBe("carebook-dev-alice");
    expect(cognitoDomainPrefixOf("prod", "carebook-prod", "patients")).toBe("carebook-prod-patients");
    for (const prefix of ["carebook-aws", "Carebook", "-carebook", "care_book", "x".repeat(55)]) {
      expect(() => cognitoDomainPrefixOf("prod", prefix, "patients"), prefix).toThrow(/cognitoDomainPrefix/);
    }
  });

  it("sends sign-ins back to the stage's own web domain when it has one", () => {
    const client = clientOf(oidc, "patients");
    expect(urls(client.CallbackURLs)).toEqual(
      expect.arrayContaining(["https://app.charite.example/auth/callback", fromDistribution("/auth/callback", oidcStage)]),
    );
    expect(urls(client.LogoutURLs)).toContain("https://app.charite.example/signin");
  });

  it("outputs each pool's id, its client's id and its issuer", () => {
    for (const prefix of ["Patients", "Staff"]) {
      const pool = poolId(test, prefix.toLowerCase() as "patients" | "staff");
      test.hasOutput(`${prefix}UserPoolId`, { Value: { Ref: pool } });
      test.hasOutput(`${prefix}ClientId`, { Value: { Ref: Match.anyValue() } });
      const issuer = test.toJSON().Outputs[`${prefix}Issuer`].Value;
      expect(render(issuer)).toBe(`https://\${GetAtt:${pool}.ProviderURL}`);
    }
  });
});

describe("Auth stack: a hospital's identity provider for staff", () => {
  it("federates a SAML provider by its metadata URL into the staff pool", () => {
    const resources = resourcesOf(saml);
    const providers = ofType(resources, "AWS::Cognito::UserPoolIdentityProvider");
    expect(providers).toHaveLength(1);
    expect(providers[0]![1].Properties).toMatchObject({
      ProviderName: "StMarys",
      ProviderType: "SAML",
      ProviderDetails: { MetadataURL: "https://idp.st-marys.example/metadata.xml", IDPSignout: true },
      AttributeMapping: { email: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress" },
    });
    expect(referencedId(providers[0]![1].Properties.UserPoolId)).toBe(poolId(saml, "staff"));
  });

  /** The staff client names the provider by reference: it is created after the provider. */
  const providerRef = (template: Template) => ({
    Ref: ofType(resourcesOf(template), "AWS::Cognito::UserPoolIdentityProvider")[0]![0],
  });

  it("lets the staff app sign in through it with the authorization code flow, on the stage's domain", () => {
    expect(clientOf(saml, "staff")).toMatchObject({
      SupportedIdentityProviders: ["COGNITO", providerRef(saml)],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ["code"],
    });
    saml.hasResourceProperties("AWS::Cognito::UserPoolDomain", { Domain: `carebook-${samlStage}-staff` });
    // Patients never see the hospital's provider.
    expect(clientOf(saml, "patients")).toMatchObject({ SupportedIdentityProviders: ["COGNITO"] });
  });

  it("federates an OIDC provider, its client secret read from Secrets Manager at deployment", () => {
    const providers = ofType(resourcesOf(oidc), "AWS::Cognito::UserPoolIdentityProvider");
    expect(providers).toHaveLength(1);
    const { ProviderDetails, ...rest } = providers[0]![1].Properties;
    expect(rest).toMatchObject({ ProviderName: "Charite", ProviderType: "OIDC" });
    expect(ProviderDetails).toMatchObject({
      client_id: "carebook",
      oidc_issuer: "https://login.charite.example",
      authorize_scopes: "openid email profile",
    });
    // A dynamic reference, never the secret itself.
    expect(render(ProviderDetails.client_secret)).toBe(`{{resolve:secretsmanager:${oidcSecretArn}:SecretString:::}}`);
    oidc.hasResourceProperties("AWS::Cognito::UserPoolDomain", { Domain: "carebook-charite-staff" });
    expect(clientOf(oidc, "staff").SupportedIdentityProviders).toEqual(["COGNITO", providerRef(oidc)]);
  });
});

describe("Auth stack: the WebACL in front of both pools", () => {
  it("is a regional WebACL associated with both pools", () => {
    const [aclId, acl] = onlyOfType(resources, "AWS::WAFv2::WebACL");
    expect(acl.Properties).toMatchObject({ Scope: "REGIONAL", DefaultAction: { Allow: {} } });
    const associated = ofType(resources, "AWS::WAFv2::WebACLAssociation").map(([, a]) => {
      expect(referencedId(a.Properties.WebACLArn)).toBe(aclId);
      return referencedId(a.Properties.ResourceArn);
    });
    expect(associated.sort()).toEqual([poolId(test, "patients"), poolId(test, "staff")].sort());
  });

  it("blocks bad IP reputation, floods of sign-ins per IP, known bad inputs and the common attacks", () => {
    const [, acl] = onlyOfType(resources, "AWS::WAFv2::WebACL");
    const rules: Array<Record<string, any>> = acl.Properties.Rules;
    expect(rules.map((r) => r.Name)).toEqual([
      "AWSManagedRulesAmazonIpReputationList",
      ...cognitoRateRules.map((r) => r.name),
      "AWSManagedRulesKnownBadInputsRuleSet",
      "AWSManagedRulesCommonRuleSet",
    ]);
    expect(rules.map((r) => r.Priority)).toEqual(rules.map((_, i) => i));
    const signIn = rules.find((r) => r.Name === "SignInRatePerIp")!;
    expect(signIn.Statement.RateBasedStatement).toMatchObject({ AggregateKeyType: "IP", Limit: 300 });
    const targets = new RegExp(signIn.Statement.RateBasedStatement.ScopeDownStatement.RegexMatchStatement.RegexString);
    for (const op of ["InitiateAuth", "RespondToAuthChallenge", "SignUp", "ForgotPassword"]) {
      expect(targets.test(`AWSCognitoIdentityProviderService.${op}`), op).toBe(true);
    }
    expect(targets.test("AWSCognitoIdentityProviderService.GetUser")).toBe(false);
    for (const rule of [...rules, acl.Properties]) {
      expect(rule.VisibilityConfig ?? rule).toMatchObject({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true });
    }
  });

  it("logs blocked and counted requests for 90 days, without the Authorization header", () => {
    const [aclId] = onlyOfType(resources, "AWS::WAFv2::WebACL");
    const wafLogs = ofType(resources, "AWS::Logs::LogGroup").filter(([, group]) =>
      String(group.Properties.LogGroupName).startsWith("aws-waf-logs-"),
    );
    expect(wafLogs).toHaveLength(1);
    const [logId, log] = wafLogs[0]!;
    // Encrypted with the stage's logs key (Storage), like every log group of the home app.
    expect(log.Properties).toMatchObject({ RetentionInDays: 90, KmsKeyId: expect.anything() });
    const [, logging] = onlyOfType(resources, "AWS::WAFv2::LoggingConfiguration");
    expect(referencedId(logging.Properties.ResourceArn)).toBe(aclId);
    expect(render(logging.Properties.LogDestinationConfigs[0])).toMatch(new RegExp(`:log-group:\\$\\{Ref:${logId}\\}$`));
    expect(logging.Properties.RedactedFields).toEqual([{ SingleHeader: { Name: "authorization" } }]);
    expect(logging.Properties.LoggingFilter).toMatchObject({ DefaultBehavior: "DROP" });
  });
});
