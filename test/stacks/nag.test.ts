/**
 * cdk-nag's AwsSolutions and HIPAA Security packs over every stack of every app that
 * sst.config.ts composes (its own `stacks()`, through buildApp, for each of stacks/config.ts's
 * `apps`), in a kept stage ("prod": backups, retained data) and a throwaway one ("test": no
 * backups, data destroyed with the stack). No error may be left unsuppressed; what Carebook
 * accepts is suppressed next to the resource, with its reason (stacks/nag.ts, docs/compliance.md).
 *
 * How the packs meet SST v2's App: sst/constructs' App extends CDK's App, so the packs are
 * aspects of the app, run when it is synthesized — after `app.finish()`, which adds resources
 * of its own (SSM parameters of bound constructs) and bundles the handlers. Two traps decide how
 * the findings are read:
 * - `Annotations.fromStack` synthesizes the whole app again on every call, and every synthesis
 *   runs every aspect again. cdk-nag then reports a cross-stack ARN a second time in another
 *   spelling (the Storage export instead of `<Id.Arn>`), and on a finished app SST's own
 *   EnsureUniqueConstructIds aspect throws on its second visit ('Table with id "Table" already
 *   exists'). So each app is synthesized once and each stack's messages are read from that cloud
 *   assembly — what `Annotations.fromStack` reads, without the re-synthesis.
 * - Nothing proves an aspect ran by its silence: each pack also reports to a logger here that
 *   counts the rules it evaluated per stack, and a deliberately non-compliant bucket in a
 *   throwaway stack must come out as errors.
 *
 * The kept stage is finished, as `sst deploy` synthesizes it. The throwaway stage is not: it
 * differs only in stage-dependent resources, and finishing bundles every handler again.
 */
import { Aspects, Stack } from "aws-cdk-lib";
import { Bucket } from "aws-cdk-lib/aws-s3";
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from "aws-cdk-lib/custom-resources";
import {
  AwsSolutionsChecks,
  HIPAASecurityChecks,
  type INagLogger,
  type NagLoggerBaseData,
  type NagLoggerNonComplianceData,
  type NagLoggerSuppressedData,
  type NagPackProps,
} from "cdk-nag";
import { App, type StackContext } from "sst/constructs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { apps } from "../../stacks/config";
import { suppressSstInternals } from "../../stacks/nag";
import { account, buildApp, prepareSynthesis } from "./synth";

/** The packs' messages: `<rule id>[<finding>]: <what> <why>`. */
const NAG_MESSAGE = /^(AwsSolutions|HIPAA\.Security)-/;

interface Finding {
  /** The rule, with the finding for granular rules: `AwsSolutions-IAM5[Resource::*]`. */
  rule: string;
  /** The construct path of the resource. */
  path: string;
}

interface StackReport {
  stack: string;
  errors: Finding[];
  warnings: Finding[];
  /** How many (rule, resource) pairs the two packs evaluated in this stack. */
  evaluated: number;
  suppressed: Array<Finding & { reason: string }>;
}

/** Counts what each pack evaluated, per stack, and keeps the suppressed findings with their reasons. */
class Tally implements INagLogger {
  readonly evaluated = new Map<string, number>();
  readonly suppressed = new Map<string, StackReport["suppressed"]>();

  private count(data: NagLoggerBaseData): void {
    const stack = Stack.of(data.resource).stackName;
    this.evaluated.set(stack, (this.evaluated.get(stack) ?? 0) + 1);
  }
  onCompliance(data: NagLoggerBaseData): void {
    this.count(data);
  }
  onNonCompliance(data: NagLoggerNonComplianceData): void {
    this.count(data);
  }
  onSuppressed(data: NagLoggerSuppressedData): void {
    this.count(data);
    const stack = Stack.of(data.resource).stackName;
    const rule = data.findingId ? `${data.ruleId}[${data.findingId}]` : data.ruleId;
    const list = this.suppressed.get(stack) ?? [];
    list.push({ rule, path: data.resource.node.path, reason: data.suppressionReason });
    this.suppressed.set(stack, list);
  }
  onError(data: NagLoggerBaseData): void {
    this.count(data);
  }
  onSuppressedError(data: NagLoggerBaseData): void {
    this.count(data);
  }
  onNotApplicable(data: NagLoggerBaseData): void {
    this.count(data);
  }
}

/** Both packs on every construct of `app`, then one synthesis (finished first if asked): a report per stack. */
async function nag(app: App, { finish }: { finish: boolean }): Promise<StackReport[]> {
  const tally = new Tally();
  const props: NagPackProps = { verbose: true, reports: false, additionalLoggers: [tally] };
  Aspects.of(app).add(new AwsSolutionsChecks(props));
  Aspects.of(app).add(new HIPAASecurityChecks(props));
  if (finish) await app.finish();
  const assembly = app.synth();
  return app.node.children
    .filter((child): child is Stack => Stack.isStack(child))
    .map((stack) => {
      const messages = assembly.getStackArtifact(stack.artifactId).messages;
      const findings = (level: string): Finding[] =>
        messages
          .filter((m) => m.level === level && NAG_MESSAGE.test(String(m.entry.data)))
          .map((m) => ({ rule: String(m.entry.data).split(": ")[0]!, path: m.id }));
      return {
        stack: stack.stackName,
        errors: findings("error"),
        warnings: findings("warning"),
        evaluated: tally.evaluated.get(stack.stackName) ?? 0,
        suppressed: tally.suppressed.get(stack.stackName) ?? [],
      };
    });
}

const listed = (findings: Finding[]) => findings.map(({ rule, path }) => `${rule} at ${path}`);

const initialCwd = process.cwd();
beforeAll(async () => {
  await prepareSynthesis("nag");
}, 120_000);
afterAll(() => {
  vi.unstubAllEnvs();
  process.chdir(initialCwd);
});

describe.each([
  { stage: "prod", finish: true },
  { stage: "test", finish: false },
])("cdk-nag on every stack of the $stage stage", ({ stage, finish }) => {
  const reports: StackReport[] = [];

  beforeAll(async () => {
    // One app after the other: each new SST App replaces SST's global app.
    for (const project of Object.values(apps)) reports.push(...(await nag(buildApp(stage, project), { finish })));
    for (const { stack, warnings, suppressed, evaluated } of reports) {
      console.info(
        `cdk-nag ${stack}: ${evaluated} rule evaluations, ${suppressed.length} suppressed findings, ${warnings.length} warnings`,
      );
    }
  }, 600_000);

  it("checks every stack of every app", () => {
    const expected = Object.values(apps).map((project) => `${stage}-${project.name}-`);
    for (const prefix of expected) expect(reports.some((r) => r.stack.startsWith(prefix)), prefix).toBe(true);
    for (const { stack, evaluated } of reports) expect(evaluated, `rules evaluated in ${stack}`).toBeGreaterThan(0);
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
    const [report] = await nag(app, { finish: true });
    const bucket = `/${report!.stack}/NonCompliantBucket/Resource`;
    const onBucket = report!.errors.filter((e) => e.path === bucket).map((e) => e.rule);
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
    expect(report!.errors.some((e) => e.path.includes("/CustomResourceHandler/"))).toBe(true);
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
    const [report] = await nag(app, { finish: false });
    const lambdas = report!.errors.filter((e) => /\/(CustomResourceHandler|AWS679f53fac002430cb0da5b7982bd2287)\//.test(e.path));
    expect(listed(lambdas)).toEqual([]);
    expect(report!.suppressed.filter((f) => f.path.includes("AWS679f53fac002430cb0da5b7982bd2287")).length).toBeGreaterThan(0);
  }, 120_000);
});
