/**
 * Offline synthesis of the project's stacks for the stack tests, and helpers to read the
 * synthesized CloudFormation.
 *
 * How sst 2.49.8 synthesizes without its CLI (what `sst deploy` does in stacks/synth.js,
 * minus the AWS calls):
 * 1. `process.chdir(<project root>)` — SST resolves handler paths (`functions/api/….handler`)
 *    against the working directory, as its CLI does.
 * 2. `await initProject({ stage: "test" })` (from "sst/project.js") — finds sst.config.ts
 *    upwards from the cwd, loads only its `config()` and sets the global project. Without a
 *    stage it would prompt on stdin for a personal stage.
 * 3. `new App({ mode: "deploy", name, stage, region, account })` (from "sst/constructs") —
 *    App does not read name/stage/region from the project (it defaults to "my-app"/"dev"/
 *    us-east-1), so pass the project's; `account` is a placeholder instead of the STS lookup.
 * 4. `sstConfig.stacks(app)` — the stack list of sst.config.ts itself (imported here, not the
 *    copy initProject bundled, so that `getStack(Storage)` finds the very functions the test
 *    imports), then `await app.finish()` — runs SST's deferred tasks: esbuild bundles every
 *    handler into .sst/artifacts (a broken or missing handler fails here). With NODE_ENV=test
 *    (vitest's default; stubbed to be sure) finish() skips `useBootstrap()` (an AWS call) and
 *    the sourcemap uploader. In deploy mode SST also runs `npm install` with an empty
 *    dependency list in each artifact directory: `npm_config_offline=true` keeps it off the
 *    network.
 * 5. `Template.fromStack(getStack(Storage))`.
 *
 * Each test file runs in its own process and synthesizes once (`synthesizeInBeforeAll`).
 * SST empties and rewrites `.sst/artifacts/<function>` per build, and two files bundle the
 * same functions at the same time: each file gets its own artifacts directory.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Template } from "aws-cdk-lib/assertions";
import { App, getStack, type Stack } from "sst/constructs";
import { initProject, useProject } from "sst/project.js";
import { afterAll, beforeAll, expect, vi } from "vitest";
import { routeEntries, type TableAccess } from "../../functions/routes";
import { sweeper, type WorkflowName, workflowEntries, workflows } from "../../functions/workflows/index";
import sstConfig from "../../sst.config";
import { Api } from "../../stacks/Api";
import { Storage } from "../../stacks/Storage";
import { Workflows } from "../../stacks/Workflows";

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const regionId = "eu-test";
export const account = "123456789012";

export type Resources = Record<string, { Type: string; Properties?: any; DependsOn?: unknown }>;

export interface Synthesized {
  storage: Template;
  workflows: Template;
  api: Template;
  stacks: { storage: Stack; workflows: Stack; api: Stack };
}

/**
 * An SST app of the project's stacks for `stage`, as `sst deploy --stage <stage>` builds it; the
 * project's app (the home app) unless `project` names another of stacks/config.ts's `apps`.
 */
export function buildApp(stage: string, project: { name: string; region?: string } = useProject().config): App {
  const app = new App({ mode: "deploy", name: project.name, stage, region: project.region, account });
  sstConfig.stacks(app);
  return app;
}

/** `path/to/module.exportName` → the module's file, if it exists. */
function handlerFile(handler: string): string | undefined {
  const modulePath = handler.slice(0, handler.lastIndexOf("."));
  return [".ts", ".js", ".mts", ".mjs"]
    .map((ext) => path.join(projectRoot, modulePath + ext))
    .find((file) => existsSync(file));
}

/** Every handler the stacks deploy: routes, workflow steps, the sweeper. */
function allHandlers(): Array<[owner: string, handler: string]> {
  return [
    ...routeEntries().map(([key, route]): [string, string] => [key, route.handler]),
    ...workflowEntries().flatMap(([name, workflow]) =>
      Object.entries(workflow.functions).map(([placeholder, fn]): [string, string] => [
        `${name} workflow, \${${placeholder}}`,
        fn.handler,
      ]),
    ),
    ["hold sweeper", sweeper.handler],
  ];
}

/**
 * Steps 1–2 above and the environment they need, for a file that builds and finishes its own
 * apps (`name` picks the file's artifacts directory). Undo with `vi.unstubAllEnvs()` and a
 * `process.chdir` back.
 */
export async function prepareSynthesis(name: string): Promise<void> {
  process.chdir(projectRoot);
  vi.stubEnv("npm_config_offline", "true");
  vi.stubEnv("npm_config_audit", "false");
  vi.stubEnv("npm_config_fund", "false");
  vi.stubEnv("npm_config_update_notifier", "false");
  vi.stubEnv("NODE_ENV", "test");
  await initProject({ stage: "test" });
  // After initProject: it loads .env / .env.test over process.env.
  vi.stubEnv("CAREBOOK_REGION_ID", regionId);
  // The project object is SST's global; its builds read `paths.artifacts` at build time.
  const { paths } = useProject();
  paths.artifacts = path.join(paths.out, "test-artifacts", name);

  const missing = allHandlers().filter(([, handler]) => !handlerFile(handler));
  if (missing.length > 0) {
    throw new Error(
      `Cannot synthesize: these handler modules do not exist:\n${missing
        .map(([owner, handler]) => `  ${owner} → ${handler}`)
        .join("\n")}`,
    );
  }
}

/**
 * Registers the file's beforeAll/afterAll: synthesizes the test stage once (`name` picks the
 * file's artifacts directory). The returned object is filled in by the time tests run.
 */
export function synthesizeInBeforeAll(name: string): Synthesized {
  const synthesized = {} as Synthesized;
  const initialCwd = process.cwd();

  beforeAll(async () => {
    await prepareSynthesis(name);
    const app = buildApp("test");
    await app.finish();
    synthesized.stacks = { storage: getStack(Storage), workflows: getStack(Workflows), api: getStack(Api) };
    synthesized.storage = Template.fromStack(synthesized.stacks.storage);
    synthesized.workflows = Template.fromStack(synthesized.stacks.workflows);
    synthesized.api = Template.fromStack(synthesized.stacks.api);
    // SST bundles the handlers one at a time (SST_BUILD_CONCURRENCY defaults to cores - 1): minutes
    // on a small or busy machine, with every stack test file bundling its own copy.
  }, 600_000);

  afterAll(() => {
    vi.unstubAllEnvs();
    process.chdir(initialCwd);
  });

  return synthesized;
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
  return `arn:\${Ref:AWS::Partition}:states:${useProject().config.region}:${account}:stateMachine:${properties.StateMachineName}`;
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
