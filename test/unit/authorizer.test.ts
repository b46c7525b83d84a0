/**
 * The API's Lambda authorizer (functions/auth/authorizer.ts) against tokens signed here, with
 * each pool's JWKS served by an in-memory fetcher — no network: a JWKS URI the test did not
 * publish fails the fetch, and so the token.
 */
import type { APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2, PreTokenGenerationV2TriggerEvent } from "aws-lambda";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { beforeAll, describe, expect, it, vi } from "vitest";
import {
  type AuthorizerConfig,
  bearerToken,
  configFromEnv,
  createAuthorizer,
  handler,
} from "../../functions/auth/authorizer";
import { handler as patientGroups } from "../../functions/auth/patient-groups";
import { ORIGIN_VERIFY_ENV, ORIGIN_VERIFY_HEADER, poolEnv } from "../../functions/auth/pools";
import { readConnectionAuthorizerContext } from "../../functions/lib/authorizer-context";
import { createConnectAuthorizer, handler as connectHandler } from "../../functions/realtime/authorizer";

const region = "eu-west-1";
const pools = {
  patients: { userPoolId: `${region}_Patients1`, clientId: "patients-client" },
  staff: { userPoolId: `${region}_Staff0001`, clientId: "staff-client" },
};
const issuer = (userPoolId: string) => `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;

type Signer = { kid: string; privateKey: CryptoKey; publicJwk: JWK };

async function signer(kid: string): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

/** A JWKS cache whose fetcher only knows the JWKS published with `publish`. */
function offlineJwks() {
  const published = new Map<string, { keys: JWK[] }>();
  const fetched: string[] = [];
  const jwksCache = new SimpleJwksCache({
    fetcher: {
      async fetch(uri: string) {
        fetched.push(uri);
        const jwks = published.get(uri);
        if (!jwks) throw new Error(`no network in tests: ${uri}`);
        return new TextEncoder().encode(JSON.stringify(jwks)).buffer as ArrayBuffer;
      },
    },
  });
  return {
    jwksCache,
    fetched,
    publish: (userPoolId: string, keys: JWK[]) => published.set(`${issuer(userPoolId)}/.well-known/jwks.json`, { keys }),
  };
}

const now = () => Math.floor(Date.now() / 1000);

interface TokenOptions {
  use?: "id" | "access";
  clientId?: string;
  userPoolId?: string;
  groups?: string[];
  sub?: string;
  email?: string;
  expiresIn?: number;
  kid?: string;
}

async function token(key: Signer, options: TokenOptions = {}): Promise<string> {
  const use = options.use ?? "id";
  const userPoolId = options.userPoolId ?? pools.patients.userPoolId;
  const clientId = options.clientId ?? pools.patients.clientId;
  const claims: Record<string, unknown> = {
    sub: options.sub ?? "user-1",
    token_use: use,
    auth_time: now() - 10,
    ...(options.groups ? { "cognito:groups": options.groups } : {}),
    ...(use === "id"
      ? { aud: clientId, email: options.email ?? "user@example.test", email_verified: true }
      : { client_id: clientId, scope: "aws.cognito.signin.user.admin", username: options.sub ?? "user-1" }),
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: options.kid ?? key.kid })
    .setIssuer(issuer(userPoolId))
    .setIssuedAt(now() - 10)
    .setExpirationTime(now() + (options.expiresIn ?? 900))
    .sign(key.privateKey);
}

function event(headers: Record<string, string>): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: "2.0",
    type: "REQUEST",
    routeArn: "arn:aws:execute-api:eu-west-1:123456789012:api/$default/GET/api/appointments",
    identitySource: Object.values(headers),
    routeKey: "GET /api/appointments",
    rawPath: "/api/appointments",
    rawQueryString: "",
    cookies: [],
    headers,
    requestContext: {} as APIGatewayRequestAuthorizerEventV2["requestContext"],
  };
}

const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });

let patientsKey: Signer;
let staffKey: Signer;
let attackerKey: Signer;

beforeAll(async () => {
  [patientsKey, staffKey, attackerKey] = await Promise.all([signer("patients-1"), signer("staff-1"), signer("patients-1")]);
});

function authorizer(extra: Partial<AuthorizerConfig> = {}) {
  const jwks = offlineJwks();
  jwks.publish(pools.patients.userPoolId, [patientsKey.publicJwk]);
  jwks.publish(pools.staff.userPoolId, [staffKey.publicJwk]);
  return { authorize: createAuthorizer({ pools, jwksCache: jwks.jwksCache, ...extra }), fetched: jwks.fetched };
}

describe("the Lambda authorizer", () => {
  it("allows a patient's id token and hands over the caller of the patients pool", async () => {
    const { authorize } = authorizer();
    const jwt = await token(patientsKey, { sub: "p-1", email: "p@example.test", groups: ["patient"] });
    await expect(authorize(event(bearer(jwt)))).resolves.toEqual({
      isAuthorized: true,
      context: { sub: "p-1", groups: "patient", email: "p@example.test", pool: "patients" },
    });
  });

  it("allows a staff access token and tells the pool by the token's issuer", async () => {
    const { authorize } = authorizer();
    const jwt = await token(staffKey, {
      use: "access",
      sub: "s-1",
      groups: ["nurse", "admin"],
      userPoolId: pools.staff.userPoolId,
      clientId: pools.staff.clientId,
    });
    await expect(authorize(event(bearer(jwt)))).resolves.toEqual({
      isAuthorized: true,
      // Access tokens carry no e-mail.
      context: { sub: "s-1", groups: "nurse admin", email: "", pool: "staff" },
    });
  });

  it("fetches each pool's JWKS once and then verifies from the cache", async () => {
    const { authorize, fetched } = authorizer();
    const jwt = await token(patientsKey, { groups: ["patient"] });
    for (let i = 0; i < 3; i++) expect((await authorize(event(bearer(jwt)))).isAuthorized).toBe(true);
    expect(fetched).toEqual([`${issuer(pools.patients.userPoolId)}/.well-known/jwks.json`]);
  });

  it("denies an expired token", async () => {
    const { authorize } = authorizer();
    const jwt = await token(patientsKey, { expiresIn: -60 });
    await expect(authorize(event(bearer(jwt)))).resolves.toEqual({ isAuthorized: false });
  });

  it("denies a token signed with another key under a published key id", async () => {
    const { authorize } = authorizer();
    const jwt = await token(attackerKey, { groups: ["patient"] });
    await expect(authorize(event(bearer(jwt)))).resolves.toEqual({ isAuthorized: false });
  });

  it("denies a token whose key id the pool's JWKS does not have", async () => {
    const { authorize } = authorizer();
    const jwt = await token(patientsKey, { kid: "rotated-away" });
    await expect(authorize(event(bearer(jwt)))).resolves.toEqual({ isAuthorized: false });
  });

  it("denies a token of a user pool it does not trust", async () => {
    const { authorize, fetched } = authorizer();
    const jwt = await token(patientsKey, { userPoolId: `${region}_Elsewhere` });
    await expect(authorize(event(bearer(jwt)))).resolves.toEqual({ isAuthorized: false });
    // Refused by issuer before any JWKS was fetched.
    expect(fetched).toEqual([]);
  });

  it("denies a token issued to another app client, including the other pool's client", async () => {
    const { authorize } = authorizer();
    const foreign = await token(patientsKey, { clientId: "someone-elses-app" });
    const staffClient = await token(patientsKey, { clientId: pools.staff.clientId });
    await expect(authorize(event(bearer(foreign)))).resolves.toEqual({ isAuthorized: false });
    await expect(authorize(event(bearer(staffClient)))).resolves.toEqual({ isAuthorized: false });
  });

  it("denies a staff-looking token signed by the patients pool", async () => {
    const { authorize } = authorizer();
    // A staff pool's issuer with the patients pool's key: the staff JWKS lacks the key.
    const forged = await token(patientsKey, {
      userPoolId: pools.staff.userPoolId,
      clientId: pools.staff.clientId,
      groups: ["admin"],
      kid: staffKey.kid,
    });
    await expect(authorize(event(bearer(forged)))).resolves.toEqual({ isAuthorized: false });
  });

  it("denies a patients-pool token that carries a staff group", async () => {
    const { authorize } = authorizer();
    const jwt = await token(patientsKey, { groups: ["patient", "admin"] });
    await expect(authorize(event(bearer(jwt)))).resolves.toEqual({ isAuthorized: false });
  });

  it("denies a request without a bearer token, or with something else in its place", async () => {
    const { authorize } = authorizer();
    const jwt = await token(patientsKey);
    for (const headers of [
      {} as Record<string, string>,
      { authorization: "" },
      { authorization: jwt },
      { authorization: `Basic ${jwt}` },
      { authorization: "Bearer not.a.jwt" },
      { authorization: "Bearer " },
    ]) {
      await expect(authorize(event(headers)), JSON.stringify(headers)).resolves.toEqual({ isAuthorized: false });
    }
  });

  it("denies an unsigned token (alg none) and a symmetric one", async () => {
    const { authorize } = authorizer();
    const valid = await token(patientsKey, { groups: ["patient"] });
    const [, payload] = valid.split(".");
    const header = (h: object) => Buffer.from(JSON.stringify(h)).toString("base64url");
    const unsigned = `${header({ alg: "none", kid: patientsKey.kid })}.${payload}.`;
    const hs256 = await new SignJWT(JSON.parse(Buffer.from(payload!, "base64url").toString()))
      .setProtectedHeader({ alg: "HS256", kid: patientsKey.kid })
      .sign(new TextEncoder().encode("a-shared-secret-of-at-least-32-bytes!"));
    for (const jwt of [unsigned, hs256]) {
      await expect(authorize(event(bearer(jwt)))).resolves.toEqual({ isAuthorized: false });
    }
  });

  it("with an origin secret, allows only requests that carry it (those through CloudFront)", async () => {
    const { authorize } = authorizer({ originVerify: "edge-secret" });
    const jwt = await token(patientsKey, { groups: ["patient"] });
    await expect(authorize(event(bearer(jwt)))).resolves.toEqual({ isAuthorized: false });
    await expect(authorize(event({ ...bearer(jwt), [ORIGIN_VERIFY_HEADER]: "guess" }))).resolves.toEqual({
      isAuthorized: false,
    });
    const through = await authorize(event({ ...bearer(jwt), [ORIGIN_VERIFY_HEADER]: "edge-secret" }));
    expect(through.isAuthorized).toBe(true);
  });

  it("reads its configuration from the environment the Api stack sets", () => {
    const env = {
      [poolEnv.patients.userPoolId]: pools.patients.userPoolId,
      [poolEnv.patients.clientId]: pools.patients.clientId,
      [poolEnv.staff.userPoolId]: pools.staff.userPoolId,
      [poolEnv.staff.clientId]: pools.staff.clientId,
      [ORIGIN_VERIFY_ENV]: "edge-secret",
    };
    expect(configFromEnv(env)).toEqual({ pools, originVerify: "edge-secret" });
    expect(() => configFromEnv({ ...env, [poolEnv.staff.clientId]: "" })).toThrow(/STAFF_CLIENT_ID/);
  });

  it("denies, and does not throw, when the deployed function is not configured", async () => {
    for (const name of Object.values(poolEnv).flatMap((names) => Object.values(names))) vi.stubEnv(name, "");
    try {
      const jwt = await token(patientsKey);
      await expect(handler(event(bearer(jwt)))).resolves.toEqual({ isAuthorized: false });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("takes the token from a Bearer header, whatever the scheme's case", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("bearer abc")).toBe("abc");
    expect(bearerToken("Bearer  abc ")).toBe("abc");
    expect(bearerToken("Bearer a b")).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe("the WebSocket API's $connect authorizer", () => {
  const methodArn = "arn:aws:execute-api:eu-west-1:123456789012:abcdef123/prod/$connect";
  /** A $connect authorizer's input (v1 REQUEST shape): the token in the query string only. */
  function connectEvent(query: Record<string, string> | null, headers: Record<string, string> = {}): APIGatewayRequestAuthorizerEvent {
    return {
      type: "REQUEST",
      methodArn,
      resource: "",
      path: "",
      httpMethod: "",
      headers,
      multiValueHeaders: null,
      pathParameters: null,
      queryStringParameters: query,
      multiValueQueryStringParameters: null,
      stageVariables: null,
      requestContext: {} as APIGatewayRequestAuthorizerEvent["requestContext"],
    };
  }
  const allow = (sub: string) => ({
    principalId: sub,
    policyDocument: { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: methodArn }] },
  });
  const deny = {
    principalId: "anonymous",
    policyDocument: { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: "Deny", Resource: methodArn }] },
  };

  function connectAuthorizer() {
    const jwks = offlineJwks();
    jwks.publish(pools.patients.userPoolId, [patientsKey.publicJwk]);
    jwks.publish(pools.staff.userPoolId, [staffKey.publicJwk]);
    return createConnectAuthorizer({ pools, jwksCache: jwks.jwksCache });
  }

  it("allows this connection's $connect for a token of either pool, with the HTTP API's caller context", async () => {
    const authorize = connectAuthorizer();
    const patient = await token(patientsKey, { sub: "p-1", email: "p@example.test", groups: ["patient"] });
    await expect(authorize(connectEvent({ token: patient }))).resolves.toEqual({
      ...allow("p-1"),
      context: { sub: "p-1", groups: "patient", email: "p@example.test", pool: "patients" },
    });
    const nurse = await token(staffKey, { sub: "s-1", groups: ["nurse"], userPoolId: pools.staff.userPoolId, clientId: pools.staff.clientId });
    const result = await authorize(connectEvent({ token: nurse }));
    expect(result).toMatchObject({ ...allow("s-1"), context: { sub: "s-1", groups: "nurse", pool: "staff" } });
    // What $connect then reads: API Gateway puts the context beside principalId.
    expect(readConnectionAuthorizerContext({ authorizer: { principalId: "s-1", ...result.context, integrationLatency: 12 } })).toEqual({
      sub: "s-1",
      groups: "nurse",
      email: "user@example.test",
      pool: "staff",
    });
  });

  it("needs no CloudFront origin header (nothing stands in front of the WebSocket API)", async () => {
    const authorize = connectAuthorizer();
    const jwt = await token(patientsKey, { groups: ["patient"] });
    expect((await authorize(connectEvent({ token: jwt }, {}))).policyDocument.Statement[0]).toMatchObject({ Effect: "Allow" });
  });

  it("denies no token, a bearer header instead of the query string, and every token the HTTP API's authorizer denies", async () => {
    const authorize = connectAuthorizer();
    const valid = await token(patientsKey, { groups: ["patient"] });
    const refused = [
      await token(patientsKey, { expiresIn: -60 }),
      await token(attackerKey, { groups: ["patient"] }),
      await token(patientsKey, { clientId: pools.staff.clientId }),
      await token(patientsKey, { groups: ["patient", "admin"] }),
      "not.a.jwt",
    ];
    await expect(authorize(connectEvent(null))).resolves.toEqual(deny);
    await expect(authorize(connectEvent({}, bearer(valid)))).resolves.toEqual(deny);
    for (const jwt of refused) await expect(authorize(connectEvent({ token: jwt }))).resolves.toEqual(deny);
  });

  it("denies, and does not throw, when the deployed function is not configured", async () => {
    for (const name of Object.values(poolEnv).flatMap((names) => Object.values(names))) vi.stubEnv(name, "");
    try {
      const jwt = await token(patientsKey, { groups: ["patient"] });
      await expect(connectHandler(connectEvent({ token: jwt }))).resolves.toEqual(deny);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("the patients pool's pre-token-generation trigger", () => {
  it("makes every patients-pool token say group patient, and nothing else", async () => {
    const trigger = {
      version: "2",
      triggerSource: "TokenGeneration_Authentication",
      request: { userAttributes: { sub: "p-1" }, groupConfiguration: { groupsToOverride: ["admin"] }, scopes: [] },
      response: { claimsAndScopeOverrideDetails: null },
    } as unknown as PreTokenGenerationV2TriggerEvent;
    const result = await patientGroups(trigger);
    expect(result.response.claimsAndScopeOverrideDetails?.groupOverrideDetails).toEqual({
      groupsToOverride: ["patient"],
    });
  });
});
