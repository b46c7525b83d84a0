import { Duration, RemovalPolicy, SecretValue, type Stack } from "aws-cdk-lib";
import {
  AccountRecovery,
  CfnUserPoolGroup,
  CfnUserPoolRiskConfigurationAttachment,
  FeaturePlan,
  LambdaVersion,
  Mfa,
  OAuthScope,
  type PasswordPolicy,
  ProviderAttribute,
  StandardThreatProtectionMode,
  UserPool,
  UserPoolClient,
  UserPoolClientIdentityProvider,
  UserPoolEmail,
  UserPoolIdentityProviderOidc,
  UserPoolIdentityProviderSaml,
  UserPoolIdentityProviderSamlMetadata,
  UserPoolOperation,
  type UserPoolProps,
} from "aws-cdk-lib/aws-cognito";
import { CfnWebACLAssociation } from "aws-cdk-lib/aws-wafv2";
import { NagSuppressions } from "cdk-nag";
import { Function as SstFunction, type StackContext, use } from "sst/constructs";
import { poolEnv, poolGroups } from "../functions/auth/pools";
import type { Pool } from "../functions/lib/authorizer-context";
import { cognitoDomainPrefixOf, functionDefaults, functionLogging, senderOf, type StaffIdentityProvider, stageConfig, tableFunctionDefaults } from "./config";
import { tablePolicy } from "./iam";
import { reasons, suppress, suppressRoleFindings, suppressSstInternals } from "./nag";
import { Storage } from "./Storage";
import { protectiveWebAcl, type RateRule } from "./Waf";
import { Web } from "./Web";

/**
 * Passwords: at least 12 characters (the local issuer's rule too), no composition rules.
 * NIST SP 800-63B (5.1.1.2) asks for length and a check against breached passwords, and advises
 * against "one upper, one digit, one symbol", which makes people pick `Password1!`. The breached-
 * password check is Cognito's compromised-credentials protection, enforced below. The last five
 * passwords cannot be reused.
 */
export const passwordPolicy: PasswordPolicy = {
  minLength: 12,
  requireLowercase: false,
  requireUppercase: false,
  requireDigits: false,
  requireSymbols: false,
  passwordHistorySize: 5,
  tempPasswordValidity: Duration.days(3),
};

/**
 * Token lifetimes. The API verifies tokens itself (signature and expiry, in the authorizer), so
 * a token Cognito has revoked — sign-out everywhere, a disabled staff account — still passes
 * until it expires: revocation only stops Cognito's own endpoints and refreshing. Short access
 * and id tokens bound that window to 15 minutes (plus the authorizer's 1-minute cache); the
 * refresh token keeps the user signed in meanwhile. Patients stay signed in for a month on
 * their device; staff for a shift.
 */
export const tokenValidity = {
  patients: { access: Duration.minutes(15), id: Duration.minutes(15), refresh: Duration.days(30) },
  staff: { access: Duration.minutes(15), id: Duration.minutes(15), refresh: Duration.hours(12) },
} as const satisfies Record<Pool, { access: Duration; id: Duration; refresh: Duration }>;

/**
 * Per-IP limits in front of both pools (credential stuffing, sign-up spam). The sign-in calls —
 * password or refresh (InitiateAuth), its challenges (password verifier, TOTP), sign-up and
 * password reset — may come 300 times in 5 minutes from one address: about 100 sign-ins, enough
 * for a hospital's staff at shift change behind one NAT. Everything else 1500.
 */
export const cognitoRateRules: readonly RateRule[] = [
  {
    name: "SignInRatePerIp",
    limit: 300,
    scopeDown: {
      regexMatchStatement: {
        regexString:
          "^AWSCognitoIdentityProviderService\\.(InitiateAuth|RespondToAuthChallenge|SignUp|ConfirmSignUp|ResendConfirmationCode|ForgotPassword|ConfirmForgotPassword)$",
        fieldToMatch: { singleHeader: { Name: "x-amz-target" } },
        textTransformations: [{ priority: 0, type: "NONE" }],
      },
    },
  },
  { name: "RatePerIp", limit: 1500 },
];

/**
 * Cognito's adaptive authentication and compromised-credentials protection, enforced (feature
 * plan Plus): a sign-in Cognito rates high-risk is blocked, a medium one must pass MFA if the
 * user has one; a sign-up, sign-in or password change with a password known from breaches is
 * blocked. No e-mail notification of risky sign-ins yet (it needs an SES identity per pool).
 */
function enforceThreatProtection(stack: Stack, id: string, pool: UserPool) {
  const noNotify = { notify: false };
  new CfnUserPoolRiskConfigurationAttachment(stack, id, {
    userPoolId: pool.userPoolId,
    clientId: "ALL",
    compromisedCredentialsRiskConfiguration: { actions: { eventAction: "BLOCK" } },
    accountTakeoverRiskConfiguration: {
      actions: {
        lowAction: { eventAction: "NO_ACTION", ...noNotify },
        mediumAction: { eventAction: "MFA_IF_CONFIGURED", ...noNotify },
        highAction: { eventAction: "BLOCK", ...noNotify },
      },
    },
  });
}

function federatedProvider(stack: Stack, pool: UserPool, provider: StaffIdentityProvider) {
  if (provider.type === "saml") {
    return new UserPoolIdentityProviderSaml(stack, "StaffSaml", {
      userPool: pool,
      name: provider.name,
      metadata: UserPoolIdentityProviderSamlMetadata.url(provider.metadataUrl),
      attributeMapping: {
        email: ProviderAttribute.other(
          provider.emailAttribute ?? "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        ),
      },
      idpSignout: true,
    });
  }
  return new UserPoolIdentityProviderOidc(stack, "StaffOidc", {
    userPool: pool,
    name: provider.name,
    issuerUrl: provider.issuerUrl,
    clientId: provider.clientId,
    // A dynamic reference: CloudFormation reads the secret at deploy time; it is never in the template.
    clientSecret: SecretValue.secretsManager(provider.clientSecretArn).unsafeUnwrap(),
    scopes: [...(provider.scopes ?? ["openid", "email", "profile"])],
    attributeMapping: { email: ProviderAttribute.other("email") },
  });
}

/** The findings every user-pool trigger shares, with why each does not apply; `whenItFails` says
 * what a failure of this trigger means (Cognito calls triggers synchronously). */
function suppressTriggerFindings(fn: SstFunction, whenItFails: string) {
  suppress(fn, [
    { id: "AwsSolutions-L1", reason: reasons.runtimePinned },
    { id: "HIPAA.Security-LambdaConcurrency", reason: reasons.noReservedConcurrency },
    { id: "HIPAA.Security-LambdaInsideVPC", reason: reasons.notInVpc },
    { id: "HIPAA.Security-LambdaDLQ", reason: `${whenItFails} A function dead-letter queue only receives failed asynchronous invocations.` },
  ]);
  if (fn.role) suppressRoleFindings(fn.role);
}

/**
 * Sign-in for Carebook: two Cognito user pools, each with one public app client (the web and
 * mobile apps; no client secret in a browser), and a regional WebACL in front of both.
 *
 * - patients: self sign-up with e-mail (verified by a code), TOTP MFA optional;
 * - staff: created by administrators only, TOTP MFA required, groups doctor/nurse/admin/support,
 *   and — when the stage names one — the hospital's SAML or OIDC identity provider.
 *
 * Each pool has its hosted sign-in pages on a Cognito domain, where the web app signs in and
 * comes back to its own addresses (stacks/Web.ts). The API's Lambda authorizer (Api stack)
 * trusts exactly these two pools and clients.
 */
export function Auth({ app, stack }: StackContext) {
  const { ephemeral, emailFrom, staffIdentityProvider, cognitoDomainPrefix } = stageConfig(stack.stage);
  const { logsKey, table } = use(Storage);
  const { origins } = use(Web);

  const common: UserPoolProps = {
    signInAliases: { email: true },
    signInCaseSensitive: false,
    autoVerify: { email: true },
    keepOriginal: { email: true },
    passwordPolicy,
    mfaSecondFactor: { sms: false, otp: true },
    accountRecovery: AccountRecovery.EMAIL_ONLY,
    featurePlan: FeaturePlan.PLUS,
    standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
    // Cognito's own mailer sends 50 messages a day: enough for a throwaway stage only. Real
    // stages send through SES from the identity notifications use (verified in this region).
    email: ephemeral ? UserPoolEmail.withCognito() : UserPoolEmail.withSES({ ...senderOf(emailFrom), sesRegion: stack.region }),
    // Accounts outlive any stack: only throwaway stages may delete a pool.
    deletionProtection: !ephemeral,
    removalPolicy: ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  };

  const patientsPool = new UserPool(stack, "PatientsPool", {
    ...common,
    userPoolName: app.logicalPrefixedName("patients"),
    selfSignUpEnabled: true,
    standardAttributes: {
      email: { required: true, mutable: true },
      fullname: { required: true, mutable: true },
    },
    mfa: Mfa.OPTIONAL,
    userVerification: {
      emailSubject: "Your Carebook verification code",
      emailBody: "Your Carebook verification code is {####}",
    },
  });
  // Every patients-pool token says group `patient` (functions/auth/patient-groups.ts). Version 2
  // of the event, so the group reaches the access token too (feature plan Plus includes it).
  const patientGroups = new SstFunction(stack, "PatientGroups", {
    ...functionDefaults,
    ...functionLogging(stack, "PatientGroups", logsKey),
    handler: "functions/auth/patient-groups.handler",
    description: "Patients pool pre-token-generation: group patient in every token",
    timeout: 5,
  });
  patientsPool.addTrigger(UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG, patientGroups, LambdaVersion.V2_0);
  suppressTriggerFindings(
    patientGroups,
    "Invoked synchronously by Cognito while it issues tokens: a failure fails that sign-in, which the user retries.",
  );

  // A confirmed sign-up gets its patient profile at once (functions/auth/patient-profile.ts).
  const patientProfile = new SstFunction(stack, "PatientProfile", {
    ...tableFunctionDefaults(stack.stage, table),
    ...functionLogging(stack, "PatientProfile", logsKey),
    handler: "functions/auth/patient-profile.handler",
    description: "Patients pool post-confirmation: creates the patient's profile",
    timeout: 10,
    permissions: tablePolicy("write", table.tableArn),
  });
  patientsPool.addTrigger(UserPoolOperation.POST_CONFIRMATION, patientProfile);
  suppressTriggerFindings(
    patientProfile,
    "Invoked synchronously by Cognito when a sign-up is confirmed: a failure fails that confirmation, which the user retries; " +
      "GET /api/me also creates a missing profile.",
  );

  const staffPool = new UserPool(stack, "StaffPool", {
    ...common,
    userPoolName: app.logicalPrefixedName("staff"),
    selfSignUpEnabled: false,
    standardAttributes: { email: { required: true, mutable: true } },
    mfa: Mfa.REQUIRED,
    userInvitation: {
      emailSubject: "Your Carebook staff account",
      emailBody:
        "An administrator created your Carebook staff account. Sign in as {username} with the temporary password {####} within 3 days; you will choose a password and set up an authenticator app.",
    },
  });
  for (const group of poolGroups.staff) {
    new CfnUserPoolGroup(stack, `StaffGroup-${group}`, {
      userPoolId: staffPool.userPoolId,
      groupName: group,
      description: `Carebook ${group}s`,
    });
  }

  enforceThreatProtection(stack, "PatientsThreatProtection", patientsPool);
  enforceThreatProtection(stack, "StaffThreatProtection", staffPool);

  // The web app signs in on each pool's hosted pages (authorization code with PKCE: a public
  // client, no secret in a browser) and comes back to /auth/callback on any of its addresses;
  // signing out ends at /signin. The hosted pages live on each pool's Cognito domain.
  const oAuth = {
    flows: { authorizationCodeGrant: true },
    scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
    callbackUrls: origins.map((origin) => `${origin}/auth/callback`),
    logoutUrls: origins.map((origin) => `${origin}/signin`),
  };
  const domainOf = (id: string, pool: UserPool, name: Pool) =>
    pool.addDomain(id, { cognitoDomain: { domainPrefix: cognitoDomainPrefixOf(stack.stage, cognitoDomainPrefix, name) } });
  const patientsDomain = domainOf("PatientsDomain", patientsPool, "patients");
  const staffDomain = domainOf("StaffDomain", staffPool, "staff");

  const clientDefaults = {
    generateSecret: false,
    // SRP for a native app signing in without the hosted pages; refresh is always allowed alongside.
    authFlows: { userSrp: true },
    enableTokenRevocation: true,
    preventUserExistenceErrors: true,
    oAuth,
  } as const;

  const patientsClient = new UserPoolClient(stack, "PatientsClient", {
    ...clientDefaults,
    userPool: patientsPool,
    userPoolClientName: "patients-app",
    accessTokenValidity: tokenValidity.patients.access,
    idTokenValidity: tokenValidity.patients.id,
    refreshTokenValidity: tokenValidity.patients.refresh,
    supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
  });

  // The hospital's identity provider, reached through the staff pool's hosted endpoints
  // (/oauth2/authorize, then /saml2/idpresponse or /oauth2/idpresponse).
  const federation = staffIdentityProvider && federatedProvider(stack, staffPool, staffIdentityProvider);
  const staffClient = new UserPoolClient(stack, "StaffClient", {
    ...clientDefaults,
    userPool: staffPool,
    userPoolClientName: "staff-app",
    accessTokenValidity: tokenValidity.staff.access,
    idTokenValidity: tokenValidity.staff.id,
    refreshTokenValidity: tokenValidity.staff.refresh,
    supportedIdentityProviders: [
      UserPoolClientIdentityProvider.COGNITO,
      ...(federation ? [UserPoolClientIdentityProvider.custom(federation.providerName)] : []),
    ],
  });

  // WAF in front of both pools: Cognito's own threat protection judges each user's sign-ins;
  // this stops the flood from one address before it reaches them.
  const { webAcl } = protectiveWebAcl(stack, "CognitoWebAcl", {
    scope: "REGIONAL",
    name: app.logicalPrefixedName("cognito"),
    description: "Carebook user pools: IP reputation, sign-in rate per IP, bad inputs, common rules",
    rateRules: cognitoRateRules,
    logsKey,
  });
  for (const [id, pool] of [
    ["PatientsPoolWaf", patientsPool],
    ["StaffPoolWaf", staffPool],
  ] as const) {
    new CfnWebACLAssociation(stack, id, { resourceArn: pool.userPoolArn, webAclArn: webAcl.attrArn });
  }

  const issuerOf = (pool: UserPool) => `https://${pool.userPoolProviderUrl}`;
  stack.addOutputs({
    PatientsUserPoolId: patientsPool.userPoolId,
    PatientsClientId: patientsClient.userPoolClientId,
    PatientsIssuer: issuerOf(patientsPool),
    StaffUserPoolId: staffPool.userPoolId,
    StaffClientId: staffClient.userPoolClientId,
    StaffIssuer: issuerOf(staffPool),
    PatientsSignInDomain: patientsDomain.baseUrl(),
    StaffSignInDomain: staffDomain.baseUrl(),
  });

  suppressSstInternals(stack);
  NagSuppressions.addResourceSuppressions(
    [patientsPool, staffPool],
    [
      {
        id: "AwsSolutions-COG1",
        reason:
          "Length (12+) and Cognito's compromised-credentials check instead of composition rules, per NIST SP 800-63B 5.1.1.2 (see passwordPolicy in stacks/Auth.ts).",
      },
    ],
  );
  NagSuppressions.addResourceSuppressions(patientsPool, [
    {
      id: "AwsSolutions-COG2",
      reason:
        "Patients choose whether to enrol TOTP; adaptive authentication requires it on medium-risk sign-ins when enrolled and blocks high-risk ones. Staff MFA is required.",
    },
  ]);

  return {
    patients: { userPool: patientsPool, client: patientsClient },
    staff: { userPool: staffPool, client: staffClient },
  } satisfies Record<Pool, { userPool: UserPool; client: UserPoolClient }>;
}

/**
 * What a token authorizer is told of the pools (functions/auth/pools.ts `poolEnv`): each pool's id
 * and its app client's id. For the HTTP API's authorizer (Api) and the WebSocket API's (Realtime).
 */
export function poolEnvironment(pools: Record<Pool, { userPool: UserPool; client: UserPoolClient }>): Record<string, string> {
  return Object.fromEntries(
    (Object.keys(poolEnv) as Pool[]).flatMap((pool) => [
      [poolEnv[pool].userPoolId, pools[pool].userPool.userPoolId],
      [poolEnv[pool].clientId, pools[pool].client.userPoolClientId],
    ]),
  );
}
