/**
 * cdk-nag's AwsSolutions and HIPAA Security packs over every stack of every app that
 * sst.config.ts composes (its own `stacks()`, through buildApp, for each of stacks/config.ts's
 * `apps`), in a kept stage ("prod": backups, retained data) and a throwaway one ("test": no
 * backups, data destroyed with the stack). No error may be left unsuppressed; what Carebook
 * accepts is suppressed next to the resource, with its reason (stacks/nag.ts, docs/compliance.md).
 *
 * The packs run in the run's one synthesis of each app and stage (test/stacks/global-setup.ts),
 * as aspects of the app, finished as `sst deploy` synthesizes it — the synthesis whose templates
 * every other stack test reads. How the packs meet SST's App, and how their findings are read
 * without a second synthesis: synthesis.ts `nag`. Here: the reports it wrote per stack, and the
 * probes below, which run that same `nag` on throwaway apps in this file to show it is live.
 */
import { Stack } from "aws-cdk-lib";
import { Bucket } from "aws-cdk-lib/aws-s3";
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from "aws-cdk-lib/custom-resources";
import { App, type StackContext } from "sst/constructs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { apps } from "../../stacks/config";
import { suppressSstInternals } from "../../stacks/nag";
import { type AppKey, account, buildApp, prepareSynthesis, sharedStages, synthesisOf } from "./synth";
import { type Finding, nag, type StackReport } from "./synthesis";

const listed = (findings: Finding[]) => findings.map(({ rule, path }) => `${rule} at ${path}`);

const initialCwd = process.cwd();
beforeAll(async () => {
  // For the apps this file builds itself: the stack lists of sst.config.ts, the probes.
  await prepareSynthesis("nag");
}, 120_000);
afterAll(() => {
  vi.unstubAllEnvs();
  process.chdir(initialCwd);
});

describe.each(sharedStages.map((stage) => ({ stage })))("cdk-nag on every stack of the $stage stage", ({ stage }) => {
  const reports: StackReport[] = [];

  beforeAll(() => {
    for (const app of Object.keys(apps) as AppKey[]) reports.push(...synthesisOf(stage, app).stacks.map((s) => s.nag));
    for (const { stack, warnings, suppressed, evaluated } of reports) {
      console.info(
        `cdk-nag ${stack}: ${evaluated} rule evaluations, ${suppressed.length} suppressed findings, ${warnings.length} warnings`,
      );
    }
  });

  it("checks every stack of every app", () => {
    const expected = Object.values(apps).map((project) => `${stage}-${project.name}-`);
    for (const prefix of expected) expect(reports.some((r) => r.stack.startsWith(prefix)), prefix).toBe(true);
    for (const { stack, evaluated } of reports) expect(evaluated, `rules evaluated in ${stack}`).toBeGreaterThan(0);
  });

  it("checks exactly the stacks sst.config.ts composes today, each once", () => {
    // The apps built here (unfinished, nothing synthesized: only their stacks are read) against
    // the run's synthesis: a stack added to sst.config.ts is nagged without a change here.
    for (const app of Object.keys(apps) as AppKey[]) {
      const composed = buildApp(stage, apps[app])
        .node.children.filter((child): child is Stack => Stack.isStack(child))
        .map((stack) => stack.stackName);
      const synthesized = synthesisOf(stage, app).stacks;
      expect(synthesized.map((stack) => stack.stackName), `${app} app`).toEqual(composed);
      expect(synthesized.map((stack) => stack.nag.stack), `${app} app`).toEqual(composed);
    }
    expect(new Set(reports.map((r) => r.stack)).size).toBe(reports.length);
  });

  it("leaves no error unsuppressed", () => {
    const errors = reports.flatMap(({ stack, errors }) => listed(errors).map((finding) => `${stack}: ${finding}`));
    expect(errors, `${errors.length} unsuppressed cdk-nag errors:\n${errors.join("\n")}`).toEqual([]);
  });

  it("gives every suppression a reason that says why", () => {
    for (const { stack, suppressed } of reports) {
      for (const { rule, path, reason } of suppressed) {
        expect(reason.length, `${stack}: the reason for ${rule} at ${path}`).toBeGreaterThanOrEqual(40);
      }
    }
  });

  it("counts its warnings (reported, not failed)", () => {
    const warnings = reports.flatMap(({ stack, warnings }) => listed(warnings).map((finding) => `${stack}: ${finding}`));
    if (warnings.length > 0) console.info(`cdk-nag warnings (${stage}):\n${warnings.join("\n")}`);
    expect(warnings.length).toBeGreaterThanOrEqual(0);
  });
});

describe("cdk-nag on an SST app", () => {
  it("reports a deliberately non-compliant bucket in a throwaway stack as errors", async () => {
    function Throwaway({ stack }: StackContext) {
      new Bucket(stack, "NonCompliantBucket");
    }
    const app = new App({ mode: "deploy", name: "nag-probe", stage: "test", region: apps.home.region, account });
    app.stack(Throwaway);
    const { report } = (await nag(app, { finish: true }))[0]!;
    const bucket = `/${report.stack}/NonCompliantBucket/Resource`;
    const onBucket = report.errors.filter((e) => e.path === bucket).map((e) => e.rule);
    expect(onBucket).toEqual(
      expect.arrayContaining([
        "AwsSolutions-S1", // no server access logs
        "AwsSolutions-S10", // plain HTTP allowed
        "HIPAA.Security-S3BucketLoggingEnabled",
        "HIPAA.Security-S3BucketVersioningEnabled",
        "HIPAA.Security-S3DefaultEncryptionKMS",
      ]),
    );
    // SST's own per-stack Lambda is checked too (unsuppressed here: the stack does not call suppressSstInternals).
    expect(report.errors.some((e) => e.path.includes("/CustomResourceHandler/"))).toBe(true);
  }, 120_000);

  it("leaves nothing of SST's and CDK's deploy-time Lambdas to a stack that calls suppressSstInternals", async () => {
    function DeployTime({ stack }: StackContext) {
      // An AwsCustomResource brings CDK's singleton provider Lambda.
      new AwsCustomResource(stack, "Lookup", {
        onUpdate: { service: "SSM", action: "getParameter", parameters: { Name: "/probe" }, physicalResourceId: PhysicalResourceId.of("probe") },
        policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: AwsCustomResourcePolicy.ANY_RESOURCE }),
      });
      suppressSstInternals(stack);
    }
    const app = new App({ mode: "deploy", name: "nag-probe", stage: "test", region: apps.home.region, account });
    app.stack(DeployTime);
    const { report } = (await nag(app, { finish: false }))[0]!;
    const lambdas = report.errors.filter((e) => /\/(CustomResourceHandler|AWS679f53fac002430cb0da5b7982bd2287)\//.test(e.path));
    expect(listed(lambdas)).toEqual([]);
    expect(report.suppressed.filter((f) => f.path.includes("AWS679f53fac002430cb0da5b7982bd2287")).length).toBeGreaterThan(0);
  }, 120_000);
});
