/**
 * Stack tests of the Workflows stack, synthesized offline once per run (test/stacks/global-setup.ts,
 * synthesis.ts) and checked against the workflow table (functions/workflows/index.ts): one
 * Standard state machine per workflow running the table's very definition, its Lambdas
 * least-privileged, every wait for a person bounded, and the hold sweeper on its schedule.
 */
import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import {
  placeholdersOf,
  substitute,
  sweeper,
  type WorkflowName,
  workflowEntries,
} from "../../functions/workflows/index";
import { workflowPolicy } from "../../stacks/iam";
import {
  actionsOf,
  allStatements,
  asList,
  deployedHandlers,
  functionIdOf,
  functionStatements,
  lambdaHandler,
  logWriteActions,
  ofType,
  ownLogGroupOf,
  referencedId,
  regionId,
  render,
  type Resources,
  resourcesFor,
  resourcesOf,
  roleStatements,
  stateMachineArn,
  stateMachineOf,
  synthesizeInBeforeAll,
  tableActions,
  tracingActions,
} from "./synth";

const synthesized = synthesizeInBeforeAll("workflows");
let template: Template;
let resources: Resources;

beforeAll(() => {
  template = synthesized.workflows;
  resources = resourcesOf(template);
});

/** Every workflow function as a test case: [workflow, placeholder, its table entry]. */
const workflowFunctions = workflowEntries().flatMap(([name, workflow]) =>
  Object.entries(workflow.functions).map(([placeholder, fn]) => [name, placeholder, fn] as const),
);


const WAIT_FOR_TOKEN = "arn:aws:states:::lambda:invoke.waitForTaskToken";

interface AslState {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  Catch?: Array<{ ErrorEquals: string[] }>;
  Branches?: AslStates[];
  Iterator?: AslStates;
  ItemProcessor?: AslStates;
}
interface AslStates {
  States: Record<string, AslState>;
}

/** Every state of a definition with its path, into Parallel branches and Map processors. */
function allStates(states: AslStates, prefix = ""): Array<[string, AslState]> {
  return Object.entries(states.States).flatMap(([name, state]) => {
    const path = `${prefix}${name}`;
    return [
      [path, state] as [string, AslState],
      ...(state.Branches ?? []).flatMap((branch, i) => allStates(branch, `${path}.Branches[${i}].`)),
      ...(state.Iterator ? allStates(state.Iterator, `${path}.Iterator.`) : []),
      ...(state.ItemProcessor ? allStates(state.ItemProcessor, `${path}.ItemProcessor.`) : []),
    ];
  });
}

/**
 * What is wrong with the definition's waits for a task token: each must end on its own
 * (TimeoutSeconds or TimeoutSecondsPath — else an execution waits up to a year for a person
 * who never answers) and catch States.Timeout (else the timeout fails the execution instead
 * of releasing the hold).
 */
function tokenWaitProblems(definition: unknown): string[] {
  return allStates(definition as AslStates).flatMap(([path, state]) => {
    if (state.Type !== "Task" || state.Resource !== WAIT_FOR_TOKEN) return [];
    const problems: string[] = [];
    if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
      problems.push(`${path}: no TimeoutSeconds or TimeoutSecondsPath`);
    }
    if (!(state.Catch ?? []).some((c) => c.ErrorEquals.includes("States.Timeout"))) {
      problems.push(`${path}: no Catch of States.Timeout`);
    }
    return problems;
  });
}

describe("Workflows stack: state machines", () => {
  it("deploys one state machine per workflow of the table", () => {
    template.resourceCountIs("AWS::StepFunctions::StateMachine", workflowEntries().length);
    // Each found by the handlers it runs: one per workflow, no two the same.
    const ids = workflowEntries().map(([name]) => stateMachineOf(template, name).id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(workflowEntries())(
    "runs %s as a traced Standard workflow, logged without execution data",
    (name) => {
      const { properties } = stateMachineOf(template, name);
      expect(properties.StateMachineType).toBe("STANDARD");
      expect(properties.TracingConfiguration).toEqual({ Enabled: true });
      expect(properties.LoggingConfiguration).toEqual({
        Level: "ALL",
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { "Fn::GetAtt": [expect.any(String), "Arn"] } } }],
      });
      const logGroupId = referencedId(properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn)!;
      expect(resources[logGroupId]?.Type).toBe("AWS::Logs::LogGroup");
      expect(resources[logGroupId]!.Properties.LogGroupName).toMatch(/^\/aws\/vendedlogs\/states\//);
      expect(resources[logGroupId]!.Properties.RetentionInDays).toEqual(expect.any(Number));
      // Encrypted with the stage's logs key (Storage), imported.
      expect(resources[logGroupId]!.Properties.KmsKeyId).toEqual({ "Fn::ImportValue": expect.stringContaining("LogsKey") });
    },
  );

  it.each(workflowEntries())("names the %s state machine <stage>-carebook-<workflow>", (name) => {
    // The fixed name that the ARNs in functions' IAM policies and environments are built from.
    expect(stateMachineOf(template, name).properties.StateMachineName).toBe(`test-carebook-${name}`);
  });

  it.each(workflowEntries())(
    "deploys the %s definition the local runtime executes, each placeholder bound to its handler's Lambda",
    (name, workflow) => {
      const deployed = stateMachineOf(template, name);

      // The same placeholders: in the deployed definition, in its substitutions, in the table.
      const declared = Object.keys(workflow.functions).sort();
      expect(placeholdersOf(deployed.definition).sort()).toEqual(declared);
      expect(Object.keys(deployed.substitutions).sort()).toEqual(declared);
      expect(placeholdersOf(workflow.definition).sort()).toEqual(declared);

      // Each placeholder replaced by what it stands for: in AWS, the handler of the Lambda whose
      // ARN CloudFormation substitutes (that Lambda's own `Handler`, i.e. the module it runs);
      // locally, the handler the table names (the local runtime loads this very JSON through
      // the table and runs those modules). Equal documents: the same states, the same
      // transitions, each Task running the same code.
      const inAws = substitute(
        deployed.definition,
        Object.fromEntries(
          Object.entries(deployed.substitutions).map(([placeholder, functionId]) => [
            placeholder,
            `handler:${lambdaHandler(resources, functionId)}`,
          ]),
        ),
      );
      const local = substitute(
        workflow.definition,
        Object.fromEntries(
          Object.entries(workflow.functions).map(([placeholder, fn]) => [placeholder, `handler:${fn.handler}`]),
        ),
      );
      expect(inAws).toEqual(local);
    },
  );

  it("has SST bundle each workflow Lambda from the handler it runs", () => {
    // The Lambda's `Handler` names a module of the bundle; SST's own record of its Functions
    // (the SSTMetadata output) names the source it bundled for it: the same, for every one.
    const bundled = deployedHandlers(template);
    const lambdas = ofType(resources, "AWS::Lambda::Function").filter(([id]) => bundled.has(id));
    expect(lambdas.map(([id]) => bundled.get(id)).sort()).toEqual(
      [...workflowFunctions.map(([, , fn]) => fn.handler), sweeper.handler].sort(),
    );
    for (const [id] of lambdas) expect(lambdaHandler(resources, id)).toBe(bundled.get(id));
  });

  it.each(workflowEntries())("bounds every wait of %s for a task token, and catches its timeout", (name) => {
    expect(tokenWaitProblems(stateMachineOf(template, name).definition)).toEqual([]);
  });

  it("finds an unbounded wait for a task token anywhere in a definition", () => {
    // The check above on a definition that fails it, at the top level and nested in a Map's
    // ItemProcessor, a legacy Map Iterator and a Parallel branch.
    const wait = { Type: "Task", Resource: WAIT_FOR_TOKEN, End: true };
    const bounded = { ...wait, TimeoutSeconds: 60, Catch: [{ ErrorEquals: ["States.Timeout"], Next: "X" }] };
    const definition = {
      StartAt: "Top",
      States: {
        Top: wait,
        Fine: bounded,
        NoCatch: { ...wait, TimeoutSecondsPath: "$.seconds", Catch: [{ ErrorEquals: ["States.ALL"] }] },
        Each: { Type: "Map", ItemProcessor: { StartAt: "InMap", States: { InMap: wait } } },
        Legacy: { Type: "Map", Iterator: { StartAt: "InIterator", States: { InIterator: wait } } },
        Both: {
          Type: "Parallel",
          Branches: [
            { StartAt: "B0", States: { B0: bounded } },
            { StartAt: "B1", States: { B1: wait } },
          ],
        },
      },
    };
    expect(tokenWaitProblems(definition)).toEqual([
      "Top: no TimeoutSeconds or TimeoutSecondsPath",
      "Top: no Catch of States.Timeout",
      "NoCatch: no Catch of States.Timeout",
      "Each.ItemProcessor.InMap: no TimeoutSeconds or TimeoutSecondsPath",
      "Each.ItemProcessor.InMap: no Catch of States.Timeout",
      "Legacy.Iterator.InIterator: no TimeoutSeconds or TimeoutSecondsPath",
      "Legacy.Iterator.InIterator: no Catch of States.Timeout",
      "Both.Branches[1].B1: no TimeoutSeconds or TimeoutSecondsPath",
      "Both.Branches[1].B1: no Catch of States.Timeout",
    ]);
  });

  it.each(workflowEntries())("lets the %s state machine invoke exactly its own Lambdas, unqualified", (name) => {
    const { properties, substitutions } = stateMachineOf(template, name);
    const statements = roleStatements(resources, referencedId(properties.RoleArn)!);
    const functionIds = [...new Set(Object.values(substitutions))];
    // The ARNs its definition names; no versions or aliases (`:*`).
    expect(resourcesFor(statements, "lambda:InvokeFunction")).toEqual(
      functionIds.map((id) => `\${GetAtt:${id}.Arn}`).sort(),
    );
    const lambdaActions = [...actionsOf(statements)].filter((action) => action.startsWith("lambda:"));
    expect(lambdaActions).toEqual(["lambda:InvokeFunction"]);
  });
});

describe("Workflows stack: functions", () => {
  it.each(workflowFunctions)("deploys %s's ${%s} as its own traced Lambda", (name, placeholder, fn) => {
    const functionId = stateMachineOf(template, name).substitutions[placeholder]!;
    const properties = resources[functionId]!.Properties;
    expect(properties).toMatchObject({
      Handler: fn.handler,
      Runtime: "nodejs22.x",
      Architectures: ["arm64"],
      TracingConfig: { Mode: "Active" },
      Environment: {
        Variables: {
          TABLE_NAME: expect.anything(),
          CAREBOOK_REGION_ID: regionId,
          POWERTOOLS_SERVICE_NAME: "carebook",
        },
      },
    });
    expect(properties.Description).toContain(fn.description);
  });

  it.each(workflowFunctions)(
    "tells %s's ${%s} the ARNs of exactly the workflows it starts",
    (name, placeholder, fn) => {
      const functionId = stateMachineOf(template, name).substitutions[placeholder]!;
      const variables: Record<string, unknown> = resources[functionId]!.Properties.Environment.Variables;
      for (const [other, workflow] of workflowEntries()) {
        if (fn.starts?.includes(other)) {
          expect(render(variables[workflow.arnEnv])).toBe(stateMachineArn(template, other));
        } else {
          expect(variables).not.toHaveProperty(workflow.arnEnv);
        }
      }
    },
  );

  it.each(workflowFunctions)(
    "allows %s's ${%s} its table access and starting what it starts, nothing else",
    (name, placeholder, fn) => {
      const functionId = stateMachineOf(template, name).substitutions[placeholder]!;
      const statements = functionStatements(resources, functionId);
      const actions = [...actionsOf(statements)];
      const starts = [...new Set(fn.starts ?? [])];

      expect(actions.filter((a) => a.startsWith("dynamodb:")).sort()).toEqual(tableActions(fn.table));
      expect(actions.filter((a) => a.startsWith("states:"))).toEqual(
        starts.length > 0 ? ["states:StartExecution"] : [],
      );
      expect(resourcesFor(statements, "states:StartExecution")).toEqual(
        starts.map((other) => stateMachineArn(template, other)).sort(),
      );
      // And nothing of any other service but X-Ray's tracing and writing its own logs.
      const others = actions.filter((a) => !a.startsWith("dynamodb:") && !a.startsWith("states:"));
      expect(others.sort()).toEqual([...logWriteActions, ...tracingActions].sort());
    },
  );

  it.each(workflowFunctions)("logs %s's ${%s} to a log group of its own, encrypted and expiring", (name, placeholder) => {
    ownLogGroupOf(resources, stateMachineOf(template, name).substitutions[placeholder]!);
  });

  it("traces every Lambda of the stack but SST's deploy-time custom resource handler", () => {
    for (const [id, fn] of ofType(resources, "AWS::Lambda::Function")) {
      // SST adds `CustomResourceHandler` to every stack, for its own deploy-time resources
      // (sourcemap upload, …); it never handles a request, and its tracing is not ours to set.
      if (id.startsWith("CustomResourceHandler")) continue;
      expect(fn.Properties.TracingConfig, id).toEqual({ Mode: "Active" });
    }
  });

  it("grants no wildcard action, no DynamoDB action on Resource *, and starts no workflow on *", () => {
    for (const statement of allStatements(template)) {
      const actions = asList(statement.Action);
      expect(actions).not.toContain("*");
      expect(actions).not.toContain("dynamodb:*");
      expect(actions).not.toContain("states:*");
      expect(actions).not.toContain("lambda:*");
      if (actions.some((a) => a.startsWith("dynamodb:") || a.startsWith("states:") || a.startsWith("lambda:"))) {
        expect(asList(statement.Resource)).not.toContain("*");
      }
    }
  });
});

describe("Workflows stack: hold sweeper", () => {
  it("runs the sweeper on the table's schedule", () => {
    const functionId = functionIdOf(template, sweeper.handler);
    const rules = ofType(resources, "AWS::Events::Rule");
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0]!;
    expect(rule.Properties).toMatchObject({ ScheduleExpression: sweeper.schedule, State: "ENABLED" });
    expect(rule.Properties.Targets).toHaveLength(1);
    expect(referencedId(rule.Properties.Targets[0].Arn)).toBe(functionId);
    // EventBridge may invoke it.
    const permissions = ofType(resources, "AWS::Lambda::Permission").filter(
      ([, p]) => referencedId(p.Properties.FunctionName) === functionId,
    );
    expect(permissions.map(([, p]) => p.Properties)).toEqual([
      expect.objectContaining({ Action: "lambda:InvokeFunction", Principal: "events.amazonaws.com" }),
    ]);
  });

  it("gives the sweeper its table access only", () => {
    const functionId = functionIdOf(template, sweeper.handler);
    expect(lambdaHandler(resources, functionId)).toBe(sweeper.handler);
    expect(resources[functionId]!.Properties).toMatchObject({
      Runtime: "nodejs22.x",
      Architectures: ["arm64"],
      TracingConfig: { Mode: "Active" },
      Environment: { Variables: { TABLE_NAME: expect.anything(), CAREBOOK_REGION_ID: regionId } },
    });
    const actions = [...actionsOf(functionStatements(resources, functionId))];
    expect(actions.filter((a) => a.startsWith("dynamodb:")).sort()).toEqual(tableActions(sweeper.table));
    expect(actions.filter((a) => !a.startsWith("dynamodb:")).sort()).toEqual([...logWriteActions, ...tracingActions].sort());
    ownLogGroupOf(resources, functionId);
  });
});

describe("workflowPolicy (stacks/iam.ts)", () => {
  // Every route or function declaring `starts` / `sendsTaskTokens` gets these statements; the
  // route table may not declare every combination yet, so each is checked here directly.
  const arns = { prescreening: "arn:prescreening", reminders: "arn:reminders" } satisfies Record<WorkflowName, string>;
  const json = (use: Parameters<typeof workflowPolicy>[0]) =>
    workflowPolicy(use, arns).map((statement) => statement.toStatementJson());

  it("grants nothing to a function that neither starts workflows nor sends task tokens", () => {
    expect(json({})).toEqual([]);
    expect(json({ starts: [], sendsTaskTokens: false })).toEqual([]);
  });

  it("grants StartExecution on exactly the started state machines", () => {
    expect(json({ starts: ["reminders", "reminders"] })).toEqual([
      { Effect: "Allow", Action: "states:StartExecution", Resource: "arn:reminders" },
    ]);
    expect(json({ starts: ["prescreening", "reminders"] })).toEqual([
      { Effect: "Allow", Action: "states:StartExecution", Resource: ["arn:prescreening", "arn:reminders"] },
    ]);
  });

  it("grants SendTaskSuccess and SendTaskFailure, on *, to a function that sends task tokens", () => {
    expect(json({ starts: ["prescreening"], sendsTaskTokens: true })).toEqual([
      { Effect: "Allow", Action: "states:StartExecution", Resource: "arn:prescreening" },
      { Effect: "Allow", Action: ["states:SendTaskSuccess", "states:SendTaskFailure"], Resource: "*" },
    ]);
  });
});
