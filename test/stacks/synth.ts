/**
 * The stack tests' view of the synthesized CloudFormation, and helpers to read it.
 *
 * Every app of sst.config.ts is synthesized once per run, in its shared stages ("test" and
 * "prod", cache.ts), finished (SST bundles every handler) and with the cdk-nag packs, by
 * global-setup.ts before any test file runs; how the synthesis is done: synthesis.ts. A test file
 * reads those templates here — `synthesizeInBeforeAll` (the test stage's templates by name, for
 * the files written before the cache) or `synthesisOf(stage, app)` (any stack of any shared
 * synthesis, by its stack function: `synthesisOf("prod").template(Storage)`). Each is an
 * `aws-cdk-lib/assertions` Template of the very JSON the app synthesized.
 *
 * Stages with settings of their own (an identity provider, countries, a developer's stage) are
 * built in the test file, unfinished (no bundling: a template does not depend on the bundles):
 * `initProjectInBeforeAll` and `buildApp`, as before the cache. Such a file takes its templates
 * from `Template.fromStack(getStack(X))` right after its `buildApp`, before the next: a new SST
 * App replaces SST's global app. `getStack` does not see the cached syntheses (they were built in
 * other processes): use `synthesized.app.template(X)` for those.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { initProject, useProject } from "sst/project.js";
import { afterAll, beforeAll, expect, inject, vi } from "vitest";
import type { TableAccess } from "../../functions/routes";
import { type WorkflowName, workflows } from "../../functions/workflows/index";
import { Api } from "../../stacks/Api";
import { Storage } from "../../stacks/Storage";
import { Workflows } from "../../stacks/Workflows";
import { type AppKey, readSynthesisResult, type SharedStage, synthesisDirectory } from "./cache";
import {
  account,
  checkHandlers,
  projectRoot,
  regionId,
  setOutputDirectory,
  type StackFunction,
  type StackReport,
  synthesisEnv,
} from "./synthesis";

export { account, buildApp, projectRoot, regionId } from "./synthesis";
export { type AppKey, type SharedStage, sharedStages } from "./cache";

export type Resources = Record<string, { Type: string; Properties?: any; DependsOn?: unknown }>;

/** A stack of a cached synthesis. */
export interface SynthesizedStack {
  /** Its construct id, as SST prefixes it: `test-carebook-Events`. */
  id: string;
  stackName: string;
  template: Template;
  /** The stacks it deploys after (the same objects as the synthesis's `stacks`). */
  dependencies: SynthesizedStack[];
  /** What the cdk-nag packs found in it (nag.test.ts). */
  nag: StackReport;
}

/** One app synthesized in one stage, as global-setup.ts left it. */
export interface SynthesizedApp {
  app: AppKey;
  stage: string;
  /** The app's AWS region. */
  region: string;
  /** Every stack, in the order sst.config.ts adds them. */
  stacks: SynthesizedStack[];
  /** The stack sst.config.ts added with this stack function (`Events`); fails if there is none. */
  stack(fn: StackFunction): SynthesizedStack;
  template(fn: StackFunction): Template;
}

/** The test stage of the home app, as the files written before the cache take it. */
export interface Synthesized {
  storage: Template;
  workflows: Template;
  api: Template;
  stacks: { storage: SynthesizedStack; workflows: SynthesizedStack; api: SynthesizedStack };
  /** Every other stack of the same synthesis: `synthesized.app.template(Events)`. */
  app: SynthesizedApp;
}

/** The region of each template read from the cache (`stateMachineArn`). */
const regionOfTemplate = new WeakMap<Template, string>();
const syntheses = new Map<string, SynthesizedApp>();

/**
 * A shared synthesis (cache.ts `sharedStages`), read once per test file. Call it from a hook or a
 * test: a failed synthesis fails there, with its error, rather than the file's import.
 */
export function synthesisOf(stage: SharedStage = "test", app: AppKey = "home"): SynthesizedApp {
  const key = `${app}-${stage}`;
  const cached = syntheses.get(key);
  if (cached) return cached;

  const run = inject("stackSynthesisDirectory");
  if (!run) throw new Error("No stack synthesis: the stacks project's globalSetup (test/stacks/global-setup.ts) did not run");
  const result = readSynthesisResult(run, app, stage);
  if ("error" in result) throw new Error(`The synthesis of the ${app} app's ${stage} stage failed:\n${result.error}`);

  const directory = synthesisDirectory(run, app, stage);
  const stacks = result.stacks.map(({ id, stackName, template: file, nag }) => {
    // Read here, once: the templates are large (the Api stack's is megabytes), and only the
    // ones a file uses are parsed.
    let template: Template | undefined;
    const stack: SynthesizedStack = {
      id,
      stackName,
      get template() {
        if (!template) {
          template = Template.fromJSON(JSON.parse(readFileSync(path.join(directory, file), "utf8")));
          regionOfTemplate.set(template, result.region);
        }
        return template;
      },
      dependencies: [],
      nag,
    };
    return stack;
  });
  const byId = new Map(stacks.map((stack) => [stack.id, stack]));
  result.stacks.forEach(({ dependencies }, i) => {
    stacks[i]!.dependencies = dependencies.map((id) => byId.get(id)!);
  });
  const stack = (fn: StackFunction): SynthesizedStack => {
    const i = result.stacks.findIndex((s) => s.function === fn.name);
    if (i < 0) {
      throw new Error(
        `No stack of function ${fn.name} in the ${app} app's ${stage} stage; it has: ${result.stacks.map((s) => s.function).join(", ")}`,
      );
    }
    return stacks[i]!;
  };
  const synthesis: SynthesizedApp = {
    app,
    stage,
    region: result.region,
    stacks,
    stack,
    template: (fn) => stack(fn).template,
  };
  syntheses.set(key, synthesis);
  return synthesis;
}

/**
 * The test stage of the home app for a file's tests: filled in by a beforeAll registered here,
 * from the run's cached synthesis (nothing is synthesized in the file). `_name` is what named the
 * file's own synthesis before the cache; kept so that files calling it stay as they are.
 */
export function synthesizeInBeforeAll(_name?: string): Synthesized {
  const synthesized = {} as Synthesized;
  beforeAll(() => {
    const app = synthesisOf("test", "home");
    const stacks = { storage: app.stack(Storage), workflows: app.stack(Workflows), api: app.stack(Api) };
    Object.assign(synthesized, {
      app,
      stacks,
      storage: stacks.storage.template,
      workflows: stacks.workflows.template,
      api: stacks.api.template,
    } satisfies Synthesized);
  });
  return synthesized;
}

/**
 * For a file that builds and synthesizes apps of its own (stages with settings of their own, or
 * throwaway probe apps): steps 1–2 of synthesis.ts and the environment they need, in the test
 * worker (`name` picks the file's artifacts directory). Undo with `vi.unstubAllEnvs()` and a
 * `process.chdir` back (`initProjectInBeforeAll` does both).
 */
export async function prepareSynthesis(name: string): Promise<void> {
  process.chdir(projectRoot);
  for (const [variable, value] of Object.entries(synthesisEnv)) vi.stubEnv(variable, value);
  await initProject({ stage: "test" });
  // After initProject: it loads .env / .env.test over process.env.
  vi.stubEnv("CAREBOOK_REGION_ID", regionId);
  setOutputDirectory(path.join(useProject().paths.out, "test-artifacts", name));
  checkHandlers();
}

export function resourcesOf(template: Template): Resources {
  return template.toJSON().Resources;
}

export function ofType(resources: Resources, type: string): Array<[string, Resources[string]]> {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

/** `{ Ref: id }` / `{ "Fn::GetAtt": [id, …] }` → id. */
export function referencedId(value: unknown): string | undefined {
  if (value && typeof value === "object") {
    if ("Ref" in value) return (value as { Ref: string }).Ref;
    if ("Fn::GetAtt" in value) return (value as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
  }
  return undefined;
}

export function asList<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/**
 * A CloudFormation string value as text: plain strings as they are, `Fn::Join` joined, and
 * the references inside as `${Ref:Id}` / `${GetAtt:Id.Attribute}` markers.
 */
export function render(value: unknown): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object") {
    if ("Fn::Join" in value) {
      const [separator, parts] = (value as { "Fn::Join": [string, unknown[]] })["Fn::Join"];
      return parts.map(render).join(separator);
    }
    if ("Ref" in value) return `\${Ref:${(value as { Ref: string }).Ref}}`;
    if ("Fn::GetAtt" in value) {
      const [id, attribute] = (value as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"];
      return `\${GetAtt:${id}.${attribute}}`;
    }
  }
  throw new Error(`Cannot render ${JSON.stringify(value)}`);
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every IAM statement in a template: policies, managed policies and roles' inline policies. */
export function allStatements(template: Template): Statement[] {
  return Object.values(resourcesOf(template)).flatMap((resource) => {
    const p = resource.Properties ?? {};
    if (resource.Type === "AWS::IAM::Policy" || resource.Type === "AWS::IAM::ManagedPolicy") {
      return asList<Statement>(p.PolicyDocument?.Statement);
    }
    if (resource.Type === "AWS::IAM::Role") {
      return asList<{ PolicyDocument: { Statement: Statement[] } }>(p.Policies).flatMap((policy) =>
        asList(policy.PolicyDocument.Statement),
      );
    }
    return [];
  });
}

/** The statements of every policy attached to a role (by the role's logical id). */
export function roleStatements(resources: Resources, roleId: string): Statement[] {
  return Object.values(resources)
    .filter(
      (r) =>
        r.Type === "AWS::IAM::Policy" &&
        asList(r.Properties.Roles).some((role) => referencedId(role) === roleId),
    )
    .flatMap((policy) => asList<Statement>(policy.Properties.PolicyDocument.Statement));
}

/** The statements of every policy attached to a Lambda function's execution role. */
export function functionStatements(resources: Resources, functionId: string): Statement[] {
  const fn = resources[functionId];
  expect(fn?.Type, `${functionId} is a Lambda function`).toBe("AWS::Lambda::Function");
  return roleStatements(resources, referencedId(fn!.Properties.Role)!);
}

export function actionsOf(statements: Statement[]): Set<string> {
  return new Set(statements.flatMap((statement) => asList(statement.Action)));
}

/** The resources (rendered) of the statements that allow `action`. */
export function resourcesFor(statements: Statement[], action: string): string[] {
  return statements
    .filter((statement) => asList(statement.Action).includes(action))
    .flatMap((statement) => asList(statement.Resource).map(render))
    .sort();
}

/**
 * Which handler SST bundled into which Lambda: logical id → `path/to/module.export`.
 *
 * From the stack's `SSTMetadata` output, the record SST writes of its own constructs (what
 * its console and `sst bind` read): one entry per SST Function with `arn` (a GetAtt of the
 * Lambda) and `handler` — the very `props.handler` its esbuild step bundled for that
 * construct. So this does not depend on names or descriptions the stacks choose. The value
 * is a JSON text joined around the GetAtts: rendered with markers, then parsed.
 */
export function deployedHandlers(template: Template): Map<string, string> {
  const output = template.toJSON().Outputs?.SSTMetadata;
  expect(output, "SSTMetadata output").toBeDefined();
  const metadata = JSON.parse(render(output.Value)) as {
    metadata: Array<{ type: string; data: { arn?: string; handler?: string } }>;
  };
  const handlers = new Map<string, string>();
  for (const { type, data } of metadata.metadata) {
    if (type !== "Function") continue;
    const id = data.arn?.match(/^\$\{GetAtt:(\w+)\.Arn\}$/)?.[1];
    if (!id || !data.handler) throw new Error(`Unexpected Function metadata: ${JSON.stringify(data)}`);
    handlers.set(id, data.handler);
  }
  return handlers;
}

/** The logical id of the Lambda that SST built from `handler` (exactly one). */
export function functionIdOf(template: Template, handler: string): string {
  const ids = [...deployedHandlers(template)].filter(([, h]) => h === handler).map(([id]) => id);
  expect(ids, `Lambdas built from ${handler}`).toHaveLength(1);
  return ids[0]!;
}

/** The module and export a Lambda runs (`Handler`; SST bundles each handler at its source path). */
export function lambdaHandler(resources: Resources, functionId: string): string {
  const fn = resources[functionId];
  expect(fn?.Type, `${functionId} is a Lambda function`).toBe("AWS::Lambda::Function");
  return fn!.Properties.Handler;
}

export interface DeployedStateMachine {
  id: string;
  properties: Record<string, any>;
  /** The DefinitionString as deployed, `${Placeholder}`s still in it (CloudFormation substitutes). */
  definition: Record<string, unknown>;
  /** Placeholder → logical id of the Lambda its DefinitionSubstitutions value is the ARN of. */
  substitutions: Record<string, string>;
}

export function deployedStateMachines(template: Template): DeployedStateMachine[] {
  return ofType(resourcesOf(template), "AWS::StepFunctions::StateMachine").map(([id, resource]) => {
    const properties = resource.Properties;
    const substitutions = Object.fromEntries(
      Object.entries((properties.DefinitionSubstitutions ?? {}) as Record<string, unknown>).map(
        ([placeholder, value]) => {
          // { "Fn::GetAtt": [<Lambda>, "Arn"] }: the function's ARN, nothing else.
          expect(value, `${id}: \${${placeholder}}`).toEqual({ "Fn::GetAtt": [expect.any(String), "Arn"] });
          return [placeholder, referencedId(value)!];
        },
      ),
    );
    // A plain string, or an Fn::Join if a token ended up in it (then it would not parse as the
    // table's JSON — which the equality test would report).
    const definition = JSON.parse(render(properties.DefinitionString));
    return { id, properties, definition, substitutions };
  });
}

/**
 * The state machine of a workflow: the one whose substituted Lambdas run exactly the
 * handlers of the workflow's `functions` (found by what it runs, not by its name).
 */
export function stateMachineOf(template: Template, name: WorkflowName): DeployedStateMachine {
  const resources = resourcesOf(template);
  const handlers = (ids: string[]) => [...new Set(ids.map((id) => lambdaHandler(resources, id)))].sort().join();
  const expected = [...new Set(Object.values(workflows[name].functions).map((fn) => fn.handler))].sort().join();
  const matching = deployedStateMachines(template).filter(
    (machine) => handlers(Object.values(machine.substitutions)) === expected,
  );
  expect(matching, `state machines running the ${name} handlers`).toHaveLength(1);
  return matching[0]!;
}

/** The ARN of a workflow's state machine as the stacks render it (from its StateMachineName). */
export function stateMachineArn(template: Template, name: WorkflowName): string {
  const { properties } = stateMachineOf(template, name);
  expect(typeof properties.StateMachineName).toBe("string");
  // The region of the synthesis the template was read from, or (built in the file) the project's.
  const region = regionOfTemplate.get(template) ?? useProject().config.region;
  return `arn:\${Ref:AWS::Partition}:states:${region}:${account}:stateMachine:${properties.StateMachineName}`;
}

/** What each `table` access allows, spelled out here rather than imported from stacks/iam.ts. */
const readActions = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"];
/** What ElectroDB's create/update/delete and `transaction.write` need (TransactWriteItems). */
const writeActions = [
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:ConditionCheckItem",
];

/** The DynamoDB actions a function with `access` must have — exactly these, sorted. */
export function tableActions(access: TableAccess): string[] {
  if (access === "none") return [];
  return (access === "read" ? readActions : [...readActions, ...writeActions]).sort();
}

/**
 * Registers the file's beforeAll/afterAll for tests that build their own apps (`buildApp`) and
 * read stack templates without finishing them (no `app.finish()`, so no bundling: a template does
 * not depend on the bundles): `prepareSynthesis` before, its environment undone after.
 */
export function initProjectInBeforeAll(name: string): void {
  const initialCwd = process.cwd();
  beforeAll(() => prepareSynthesis(name));
  afterAll(() => {
    vi.unstubAllEnvs();
    process.chdir(initialCwd);
  });
}

/** X-Ray's own actions, which CDK grants every traced Lambda (on Resource *). */
export const tracingActions = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"];
/** What a Lambda's role may do with its own log group (stacks/config.ts functionLogging), sorted. */
export const logWriteActions = ["logs:CreateLogStream", "logs:PutLogEvents"];

/**
 * The log group a Lambda writes to (its LoggingConfig) — asserted to be one of the template's own,
 * encrypted with a KMS key, expiring, and writable by this function's role only — by logical id.
 */
export function ownLogGroupOf(resources: Resources, functionId: string): string {
  const logGroupId = referencedId(resources[functionId]?.Properties.LoggingConfig?.LogGroup);
  expect(logGroupId, `${functionId} logs to a log group of its own`).toBeDefined();
  const logGroup = resources[logGroupId!]!;
  expect(logGroup.Type).toBe("AWS::Logs::LogGroup");
  expect(logGroup.Properties.KmsKeyId, `${logGroupId} is encrypted with a KMS key`).toBeDefined();
  expect(logGroup.Properties.RetentionInDays, `${logGroupId} expires`).toBeGreaterThan(0);
  const writers = Object.entries(resources).filter(
    ([, r]) =>
      r.Type === "AWS::IAM::Policy" &&
      asList<Statement>(r.Properties.PolicyDocument.Statement).some((s) =>
        asList(s.Resource).some((resource) => referencedId(resource) === logGroupId),
      ),
  );
  expect(writers.flatMap(([, policy]) => asList(policy.Properties.Roles).map(referencedId)), `roles writing to ${logGroupId}`).toEqual([
    referencedId(resources[functionId]!.Properties.Role),
  ]);
  return logGroupId!;
}

/** The one resource of a type in a template's resources (fails unless there is exactly one). */
export function onlyOfType(resources: Resources, type: string): [string, Resources[string]] {
  const found = ofType(resources, type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
}
