/**
 * The synthesis of the project's SST apps for the stack tests, without vitest: imported by the
 * synthesis child process (synthesize.ts, started by global-setup.ts) as well as by the test files
 * (through synth.ts), so that both build and check the apps with the very same code.
 *
 * How sst 2.49.8 synthesizes without its CLI (what `sst deploy` does in stacks/synth.js, minus the
 * AWS calls):
 * 1. `process.chdir(<project root>)` — SST resolves handler paths (`functions/api/….handler`)
 *    against the working directory, as its CLI does.
 * 2. `await initProject({ stage: "test" })` (from "sst/project.js") — finds sst.config.ts
 *    upwards from the cwd, loads only its `config()` and sets the global project. Without a
 *    stage it would prompt on stdin for a personal stage.
 * 3. `new App({ mode: "deploy", name, stage, region, account })` (from "sst/constructs") —
 *    App does not read name/stage/region from the project (it defaults to "my-app"/"dev"/
 *    us-east-1), so pass the project's; `account` is a placeholder instead of the STS lookup.
 * 4. `sstConfig.stacks(app)` — the stack list of sst.config.ts itself (imported here, not the
 *    copy initProject bundled, so that `getStack(Storage)` finds the very functions the tests
 *    import), then `await app.finish()` — runs SST's deferred tasks: esbuild bundles every
 *    handler into the project's `paths.artifacts` (a broken or missing handler fails here). With
 *    NODE_ENV=test finish() skips `useBootstrap()` (an AWS call) and the sourcemap uploader. In
 *    deploy mode SST also runs `npm install` with an empty dependency list in each artifact
 *    directory: `npm_config_offline=true` keeps it off the network.
 * 5. `app.synth()` once — the cloud assembly with every stack's template (and the messages the
 *    cdk-nag packs left, see `nag`).
 */
import { existsSync } from "node:fs";
import { constants, copyFile, cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Aspects, Stack } from "aws-cdk-lib";
import {
  AwsSolutionsChecks,
  HIPAASecurityChecks,
  type INagLogger,
  type NagLoggerBaseData,
  type NagLoggerNonComplianceData,
  type NagLoggerSuppressedData,
  type NagPackProps,
} from "cdk-nag";
import { App, getStack } from "sst/constructs";
import { useFunctions } from "sst/constructs/Function.js";
import { useProject } from "sst/project.js";
import { useRuntimeHandlers } from "sst/runtime/handlers.js";
import { routeEntries } from "../../functions/routes";
import { sweeper, workflowEntries } from "../../functions/workflows/index";
import sstConfig from "../../sst.config";

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const regionId = "eu-test";
export const account = "123456789012";

/**
 * The environment a synthesis runs in (set before `initProject`, which loads `.env` files over
 * it; `CAREBOOK_REGION_ID` is set again after it): SST's `npm install` per artifact offline and
 * quiet, NODE_ENV=test (no bootstrap lookup, no sourcemap uploader).
 */
export const synthesisEnv = {
  npm_config_offline: "true",
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_update_notifier: "false",
  NODE_ENV: "test",
} as const;

/** `path/to/module.exportName` → the module's file, if it exists. */
function handlerFile(handler: string): string | undefined {
  const modulePath = handler.slice(0, handler.lastIndexOf("."));
  return [".ts", ".js", ".mts", ".mjs"]
    .map((ext) => path.join(projectRoot, modulePath + ext))
    .find((file) => existsSync(file));
}

/** Every handler the stacks deploy from the tables: routes, workflow steps, the sweeper. */
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
 * Fails with every handler module the tables name that does not exist — one message listing all
 * of them, before SST's bundling would fail on the first.
 */
export function checkHandlers(): void {
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
 * Where SST writes this process's synthesis (after `initProject`): the handlers' bundles in
 * `<directory>/artifacts`, the bound constructs' types in `<directory>/types`. The project
 * object is SST's global; its builds read `paths.artifacts` at build time, and every `new App`
 * empties and rewrites `<out>/types`. So two syntheses running at the same time (two processes,
 * or two `npm test` runs on one working tree) each need a directory of their own.
 */
export function setOutputDirectory(directory: string): void {
  const { paths } = useProject();
  paths.out = directory;
  paths.artifacts = path.join(directory, "artifacts");
}

/**
 * Bundles each handler once for every stage this process synthesizes, instead of once per stage.
 *
 * SST's build of a Node function reads only these of its props: handler, runtime, architecture,
 * `nodejs` and `copyFiles` (and hooks, which are code). Equal props give the same bundle in any
 * stage; only its directory differs (`<artifacts>/<construct address>`, a name npm also writes
 * into the lockfile of SST's empty `npm install`). So the first build of such props is SST's own,
 * and every later function with equal props gets a copy of that directory with the lockfile's
 * name its own, and a copy of the sourcemap (which SST gzips into an asset and deletes from the
 * directory right after the build, so it is kept aside in `directory`): the very files SST would
 * have written there — the same asset hashes in the templates — without bundling again. Anything
 * else (other runtimes, hooks, esbuild plugins, a failed first build) SST builds as usual.
 * Replaces SST's build in place, for the process (`useRuntimeHandlers` is one per process).
 */
export async function shareBundlesAcrossStages(directory: string): Promise<void> {
  const handlers = useRuntimeHandlers();
  const build = handlers.build.bind(handlers);
  type Built = Awaited<ReturnType<typeof build>>;
  /** Props → the first build (its directory stays: nothing removes a stage's artifacts) and its sourcemap's copy. */
  const bundles = new Map<string, Promise<{ built: Built; sourcemap?: string }>>();
  await mkdir(directory, { recursive: true });

  handlers.build = async (functionID, mode) => {
    const props = useFunctions().fromID(functionID);
    const shareable =
      mode === "deploy" &&
      props !== undefined &&
      !props.hooks &&
      String(props.runtime).startsWith("nodejs") &&
      !props.nodejs?.esbuild?.plugins;
    if (!shareable) return build(functionID, mode);
    const key = JSON.stringify([props.handler, props.runtime, props.architecture, props.nodejs ?? null, props.copyFiles ?? null]);

    const first = bundles.get(key);
    if (!first) {
      const sourcemap = path.join(directory, `${bundles.size}.map`);
      const bundle = build(functionID, mode).then(async (built) => {
        if (built.type !== "success" || !built.sourcemap) return { built };
        await copyFile(built.sourcemap, sourcemap, constants.COPYFILE_FICLONE);
        return { built, sourcemap };
      });
      bundles.set(key, bundle);
      return (await bundle).built;
    }
    const { built, sourcemap } = await first;
    if (built.type !== "success") return build(functionID, mode);
    // Where SST's own build would have put it (sst/runtime/handlers.js), emptied first as it does.
    const out = path.join(useProject().paths.artifacts, functionID);
    await rm(out, { recursive: true, force: true });
    await cp(built.out, out, { recursive: true });
    // npm names the lockfile of SST's `npm install` after the directory it ran in: this one.
    const lockfile = path.join(out, "package-lock.json");
    if (existsSync(lockfile)) {
      const lock = JSON.parse(await readFile(lockfile, "utf8"));
      if (lock.name === path.basename(built.out)) {
        await writeFile(lockfile, `${JSON.stringify({ ...lock, name: path.basename(out) }, null, 2)}\n`);
      }
    }
    const copied = built.sourcemap && path.join(out, path.relative(built.out, built.sourcemap));
    if (copied) await copyFile(sourcemap!, copied, constants.COPYFILE_FICLONE);
    return { ...built, out, sourcemap: copied };
  };
}

/** A stack function of sst.config.ts (`Storage`, `Events`, …). */
export type StackFunction = Parameters<App["stack"]>[0];

/**
 * An SST app of the project's stacks for `stage`, as `sst deploy --stage <stage>` builds it; the
 * project's app (the home app) unless `project` names another of stacks/config.ts's `apps`.
 * `onStack` hears of each stack sst.config.ts adds, with its function: SST keeps that pairing to
 * itself (`getStack` needs the function), and the synthesis cache records it.
 */
export function buildApp(
  stage: string,
  project: { name: string; region?: string } = useProject().config,
  onStack?: (fn: StackFunction, stack: Stack) => void,
): App {
  const app = new App({ mode: "deploy", name: project.name, stage, region: project.region, account });
  if (onStack) {
    // On this app only; sst.config.ts chains `app.stack(A).stack(B)` on the app it is returned.
    const addStack = app.stack.bind(app);
    app.stack = ((fn, props) => {
      const result = addStack(fn, props);
      onStack(fn, getStack(fn));
      return result;
    }) as App["stack"];
  }
  sstConfig.stacks(app);
  return app;
}

/** The packs' messages: `<rule id>[<finding>]: <what> <why>`. */
const NAG_MESSAGE = /^(AwsSolutions|HIPAA\.Security)-/;

export interface Finding {
  /** The rule, with the finding for granular rules: `AwsSolutions-IAM5[Resource::*]`. */
  rule: string;
  /** The construct path of the resource. */
  path: string;
}

export interface StackReport {
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

/** One stack of a nagged synthesis: its template as synthesized, and what the packs found in it. */
export interface NaggedStack {
  stack: Stack;
  template: Record<string, any>;
  report: StackReport;
}

/**
 * cdk-nag's AwsSolutions and HIPAA Security packs as aspects of `app`, then one synthesis
 * (finished first if asked): per stack, its template and its report.
 *
 * How the packs meet SST v2's App: sst/constructs' App extends CDK's App, so the packs are
 * aspects of the app, run when it is synthesized — after `app.finish()`, which adds resources of
 * its own (SSM parameters of bound constructs) and bundles the handlers. Two traps decide how the
 * findings are read:
 * - `Annotations.fromStack` (and `Template.fromStack` on an app not yet synthesized) synthesizes
 *   the whole app again, and every synthesis runs every aspect again. cdk-nag then reports a
 *   cross-stack ARN a second time in another spelling (the Storage export instead of
 *   `<Id.Arn>`), and on a finished app SST's own EnsureUniqueConstructIds aspect throws on its
 *   second visit ('Table with id "Table" already exists'). So the app is synthesized once and
 *   each stack's messages and template are read from that cloud assembly — what
 *   `Annotations.fromStack` and `Template.fromStack` read, without the re-synthesis.
 * - Nothing proves an aspect ran by its silence: each pack also reports to a logger here that
 *   counts the rules it evaluated per stack (nag.test.ts requires a count in every stack, and a
 *   deliberately non-compliant bucket to come out as errors).
 * The packs only annotate constructs (messages in the assembly's manifest): the templates are
 * those of the same app synthesized without them.
 */
export async function nag(app: App, { finish }: { finish: boolean }): Promise<NaggedStack[]> {
  const tally = new Tally();
  const props: NagPackProps = { verbose: true, reports: false, additionalLoggers: [tally] };
  Aspects.of(app).add(new AwsSolutionsChecks(props));
  Aspects.of(app).add(new HIPAASecurityChecks(props));
  if (finish) await app.finish();
  const assembly = app.synth();
  return app.node.children
    .filter((child): child is Stack => Stack.isStack(child))
    .map((stack) => {
      const artifact = assembly.getStackArtifact(stack.artifactId);
      const findings = (level: string): Finding[] =>
        artifact.messages
          .filter((m) => m.level === level && NAG_MESSAGE.test(String(m.entry.data)))
          .map((m) => ({ rule: String(m.entry.data).split(": ")[0]!, path: m.id }));
      return {
        stack,
        template: artifact.template,
        report: {
          stack: stack.stackName,
          errors: findings("error"),
          warnings: findings("warning"),
          evaluated: tally.evaluated.get(stack.stackName) ?? 0,
          suppressed: tally.suppressed.get(stack.stackName) ?? [],
        },
      };
    });
}
