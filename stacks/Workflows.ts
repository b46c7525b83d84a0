import { ArnFormat, RemovalPolicy, type Stack } from "aws-cdk-lib";
import { LogGroup } from "aws-cdk-lib/aws-logs";
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from "aws-cdk-lib/aws-stepfunctions";
import { Cron, Function as SstFunction, type StackContext, use } from "sst/constructs";
import {
  placeholdersOf,
  sweeper,
  type WorkflowName,
  workflowEntries,
  workflows,
} from "../functions/workflows/index";
import { functionLogging, logRetention, stageConfig, tableFunctionDefaults } from "./config";
import { invokePolicy, tablePolicy, workflowPolicy } from "./iam";
import { suppressFunctionFindings, suppressRoleFindings, suppressSstInternals } from "./nag";
import { Storage } from "./Storage";

/**
 * The Step Functions workflows: for each entry of the workflow table
 * (functions/workflows/index.ts) a Lambda per placeholder of its definition and a Standard
 * state machine running that very ASL file, the placeholders substituted with those
 * Lambdas' ARNs; plus the scheduled hold sweeper.
 *
 * Every state machine has a fixed name (`<stage>-carebook-<workflow>`), so its ARN is known
 * before it exists. Functions that start workflows (pre-screening starts reminders; a route
 * starts pre-screening) get that ARN as a plain string, not as a reference to the state
 * machine: whatever the `starts` graph (even a workflow starting itself), no dependency cycle.
 */
export function Workflows({ app, stack }: StackContext) {
  const { table, logsKey } = use(Storage);
  const { ephemeral } = stageConfig(stack.stage);

  const stateMachineNames = Object.fromEntries(
    workflowEntries().map(([name]) => [name, app.logicalPrefixedName(name)]),
  ) as Record<WorkflowName, string>;
  const stateMachineArns = Object.fromEntries(
    workflowEntries().map(([name]) => [name, stateMachineArn(stack, stateMachineNames[name])]),
  ) as Record<WorkflowName, string>;

  // Applies to every SST Function of this stack, the sweeper's included.
  stack.setDefaultFunctionProps(tableFunctionDefaults(stack.stage, table));

  const placeholderOwners = new Map<string, WorkflowName>();
  const stateMachines = {} as Record<WorkflowName, StateMachine>;

  for (const [name, workflow] of workflowEntries()) {
    // Every placeholder has its function and every function is used: the local runtime maps
    // the same placeholders, so a mismatch here would be a mismatch there too.
    const used = placeholdersOf(workflow.definition).sort();
    const declared = Object.keys(workflow.functions).sort();
    if (used.join() !== declared.join()) {
      throw new Error(
        `Workflow ${name}: the definition uses \${${used.join("}, ${")}} but functions declares ${declared.join(", ")}`,
      );
    }

    const functions = Object.entries(workflow.functions).map(([placeholder, fn]) => {
      // The placeholder is the function's construct id (SST requires those to be unique).
      const owner = placeholderOwners.get(placeholder);
      if (owner) throw new Error(`Placeholder ${placeholder} is used by workflows ${owner} and ${name}`);
      placeholderOwners.set(placeholder, name);
      const lambda = new SstFunction(stack, placeholder, {
        ...functionLogging(stack, placeholder, logsKey),
        handler: fn.handler,
        description: `${name} workflow: ${fn.description}`,
        environment: workflowEnvironment(fn.starts, stateMachineArns),
        permissions: [...tablePolicy(fn.table, table.tableArn), ...workflowPolicy(fn, stateMachineArns)],
      });
      suppressFunctionFindings(lambda, "stateMachine");
      return [placeholder, lambda] as const;
    });

    const logGroup = new LogGroup(stack, `${pascal(name)}WorkflowLogs`, {
      // The /aws/vendedlogs/ prefix keeps CloudWatch Logs' resource policy from growing per group.
      logGroupName: `/aws/vendedlogs/states/${stateMachineNames[name]}`,
      encryptionKey: logsKey,
      retention: logRetention,
      removalPolicy: ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    const stateMachine = new StateMachine(stack, `${pascal(name)}Workflow`, {
      stateMachineName: stateMachineNames[name],
      // Standard: executions wait days for people (task tokens) and run each step once.
      stateMachineType: StateMachineType.STANDARD,
      // The table's JSON as is: the local runtime loads the same object (see the stack tests).
      definitionBody: DefinitionBody.fromString(JSON.stringify(workflow.definition)),
      definitionSubstitutions: Object.fromEntries(
        functions.map(([placeholder, lambda]) => [placeholder, lambda.functionArn]),
      ),
      tracingEnabled: true,
      logs: {
        destination: logGroup,
        level: LogLevel.ALL,
        // State inputs and outputs carry medical data (questionnaire answers, decisions):
        // the log records state transitions and errors only.
        includeExecutionData: false,
      },
    });
    // Not `grantInvoke`, which adds the functions' versions and aliases (`<arn>:*`) too.
    for (const statement of invokePolicy(functions.map(([, lambda]) => lambda.functionArn))) {
      stateMachine.addToRolePolicy(statement);
    }
    suppressRoleFindings(stateMachine.role);
    stateMachines[name] = stateMachine;
  }

  // Releases holds whose workflow never started or died (the local runtime runs the same
  // handler on a timer of the same period).
  const holdSweeper = new Cron(stack, "HoldSweeper", {
    schedule: sweeper.schedule,
    job: {
      function: {
        ...functionLogging(stack, "HoldSweeper", logsKey),
        handler: sweeper.handler,
        description: sweeper.description,
        // A sweep may release many holds, one transaction each.
        timeout: 60,
        permissions: tablePolicy(sweeper.table, table.tableArn),
      },
    },
  });
  suppressFunctionFindings(holdSweeper.jobFunction, "schedule");

  suppressSstInternals(stack);

  return { stateMachines, stateMachineArns, holdSweeper };
}

/** The environment through which a function learns the ARNs of the workflows it starts. */
export function workflowEnvironment(
  starts: readonly WorkflowName[] | undefined,
  stateMachineArns: Record<WorkflowName, string>,
): Record<string, string> {
  return Object.fromEntries((starts ?? []).map((name) => [workflows[name].arnEnv, stateMachineArns[name]]));
}

/** `arn:<partition>:states:<region>:<account>:stateMachine:<name>`, what the state machine's Ref resolves to. */
function stateMachineArn(stack: Stack, stateMachineName: string): string {
  return stack.formatArn({
    service: "states",
    resource: "stateMachine",
    resourceName: stateMachineName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
