/**
 * Stack tests of the Events stack and the archive bucket, synthesized offline once per run
 * (test/stacks/global-setup.ts, synthesis.ts) and checked against the events table
 * (functions/events/index.ts): every declaration is iterated, so a consumer added to the table
 * is covered here unchanged.
 */
import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { validatePattern } from "@carebook/core/events/pattern";
import {
  ARCHIVE_BUCKET_ENV,
  EVENT_BUS_ENV,
  type EventConsumer,
  eventConsumerEntries,
  scheduledFunctionEntries,
  type StreamConsumer,
  streamConsumerEntries,
} from "../../functions/events/index";
import { workflowEntries } from "../../functions/workflows/index";
import { Events } from "../../stacks/Events";
import { publishPolicy, sendPolicy, streamReadPolicy } from "../../stacks/iam";
import { Storage } from "../../stacks/Storage";
import {
  actionsOf,
  allStatements,
  asList,
  functionIdOf,
  functionStatements,
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
  type Statement,
  stateMachineArn,
  synthesisOf,
  synthesizeInBeforeAll,
  tableActions,
  tracingActions,
} from "./synth";
import { tableDefinition } from "@carebook/core/entities/table";

/** What the event-source mapping reads the stream with, spelled out here rather than imported. */
const streamActions = [
  "dynamodb:DescribeStream",
  "dynamodb:GetRecords",
  "dynamodb:GetShardIterator",
  "dynamodb:ListStreams",
].sort();
const emailActions = ["ses:SendEmail", "ses:SendRawEmail"];

const streamConsumers = streamConsumerEntries();
const eventConsumers = eventConsumerEntries();
const streamFilters = streamConsumers.flatMap(([name, consumer]) =>
  consumer.filters.map((filter, i) => [name, i, filter] as const),
);

describe("the events table", () => {
  it.each(eventConsumers)("declares a pattern EventBridge accepts for %s", (_name, consumer) => {
    expect(validatePattern(consumer.pattern)).toEqual([]);
  });

  it.each(streamFilters)("declares a filter Lambda accepts for %s (#%i)", (_name, _i, filter) => {
    // Lambda's filter criteria are EventBridge patterns over the stream record.
    expect(validatePattern(filter)).toEqual([]);
  });

  it("gives every stream consumer at least one filter (none would deliver every change)", () => {
    for (const [name, consumer] of streamConsumers) expect(consumer.filters.length, name).toBeGreaterThan(0);
  });
});

describe("stacks/iam.ts helpers for the event consumers", () => {
  // The events table may not declare every channel yet, so each is checked here directly.
  const resources = {
    emailIdentities: "arn:identity/*",
    emailConfigurationSet: "arn:configuration-set/carebook",
    webPushKeyParameters: ["arn:parameter/public", "arn:parameter/private"],
  };
  const json = (statements: ReturnType<typeof sendPolicy>) => statements.map((s) => s.toStatementJson());

  it("grants nothing to a consumer that sends nothing", () => {
    expect(json(sendPolicy(undefined, resources))).toEqual([]);
    expect(json(sendPolicy([], resources))).toEqual([]);
  });

  it("grants SES sending on the stage's identities and its one configuration set for email", () => {
    expect(json(sendPolicy(["email"], resources))).toEqual([
      {
        Effect: "Allow",
        Action: ["ses:SendEmail", "ses:SendRawEmail"],
        Resource: ["arn:identity/*", "arn:configuration-set/carebook"],
      },
    ]);
  });

  it("grants sns:Publish, on *, once for sms and push, and push the reading of the Web Push key pair only", () => {
    const sns = { Effect: "Allow", Action: "sns:Publish", Resource: "*" };
    const keys = { Effect: "Allow", Action: "ssm:GetParameters", Resource: ["arn:parameter/public", "arn:parameter/private"] };
    expect(json(sendPolicy(["sms"], resources))).toEqual([sns]);
    expect(json(sendPolicy(["push"], resources))).toEqual([sns, keys]);
    expect(json(sendPolicy(["push", "email", "sms"], resources))).toEqual([
      expect.objectContaining({ Action: ["ses:SendEmail", "ses:SendRawEmail"] }),
      sns,
      keys,
    ]);
  });

  it("grants PutEvents on the one bus to a publisher only", () => {
    expect(json(publishPolicy(undefined, "arn:bus"))).toEqual([]);
    expect(json(publishPolicy(false, "arn:bus"))).toEqual([]);
    expect(json(publishPolicy(true, "arn:bus"))).toEqual([{ Effect: "Allow", Action: "events:PutEvents", Resource: "arn:bus" }]);
  });

  it("grants the four stream actions on the stream only", () => {
    expect(json(streamReadPolicy("arn:stream"))).toEqual([
      { Effect: "Allow", Action: streamActions.slice().sort(), Resource: "arn:stream" },
    ]);
  });
});

describe("Events stack", () => {
  const synthesized = synthesizeInBeforeAll("events");
  let template: Template;
  let resources: Resources;
  let storageResources: Resources;

  beforeAll(() => {
    template = synthesized.app.template(Events);
    storageResources = resourcesOf(synthesized.storage);
    // Cross-stack references (the table's ARN and stream ARN) as the Storage values they import.
    resources = resolveImports(resourcesOf(template), synthesized.storage) as Resources;
  });

  /** `{ "Fn::ImportValue": name }` → the value Storage exports under that name. */
  function resolveImports(value: unknown, exporter: Template): unknown {
    if (Array.isArray(value)) return value.map((v) => resolveImports(v, exporter));
    if (value && typeof value === "object") {
      if ("Fn::ImportValue" in value) {
        const name = (value as { "Fn::ImportValue": string })["Fn::ImportValue"];
        const outputs = Object.values(exporter.toJSON().Outputs ?? {}) as Array<{ Value: unknown; Export?: { Name: string } }>;
        const output = outputs.find((o) => o.Export?.Name === name);
        expect(output, `Storage exports ${name}`).toBeDefined();
        return output!.Value;
      }
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveImports(v, exporter)]));
    }
    return value;
  }

  const only = (type: string) => {
    const found = ofType(storageResources, type);
    expect(found, type).toHaveLength(1);
    return found[0]!;
  };
  const tableAttribute = (attribute: string) => `\${GetAtt:${only("AWS::DynamoDB::Table")[0]}.${attribute}}`;
  /** The archive bucket: the bucket Storage gives the archiving stream consumer. */
  const archiveBucketId = () => {
    const archiver = streamConsumers.find(([, c]) => (c as StreamConsumer).archives);
    expect(archiver, "a stream consumer that archives").toBeDefined();
    const id = referencedId(variablesOf(functionIdOf(template, archiver![1].handler))[ARCHIVE_BUCKET_ENV]);
    expect(storageResources[id!]?.Type).toBe("AWS::S3::Bucket");
    return id!;
  };
  const busId = () => ofType(resources, "AWS::Events::EventBus")[0]![0];
  const busArn = () => `\${GetAtt:${busId()}.Arn}`;
  const queueArn = (queueId: string) => `\${GetAtt:${queueId}.Arn}`;
  const roleOf = (functionId: string) => referencedId(resources[functionId]!.Properties.Role)!;
  const variablesOf = (functionId: string): Record<string, unknown> =>
    resources[functionId]!.Properties.Environment.Variables;

  /** The one rule targeting a consumer's function, and that target. */
  function ruleOf(functionId: string) {
    const rules = ofType(resources, "AWS::Events::Rule").filter(([, rule]) =>
      asList<{ Arn: unknown }>(rule.Properties.Targets).some((target) => referencedId(target.Arn) === functionId),
    );
    expect(rules, `rules targeting ${functionId}`).toHaveLength(1);
    const [ruleId, rule] = rules[0]!;
    expect(rule.Properties.Targets).toHaveLength(1);
    return { ruleId, rule: rule.Properties, target: rule.Properties.Targets[0] };
  }

  /** The one event-source mapping invoking a consumer's function. */
  function mappingOf(functionId: string) {
    const mappings = ofType(resources, "AWS::Lambda::EventSourceMapping").filter(
      ([, mapping]) => referencedId(mapping.Properties.FunctionName) === functionId,
    );
    expect(mappings, `event-source mappings of ${functionId}`).toHaveLength(1);
    return mappings[0]![1].Properties;
  }

  /** Each consumer's dead-letter queue (logical id), found through what uses it. */
  function deadLetterQueues(): Map<string, string> {
    const queues = new Map<string, string>();
    for (const [name, consumer] of streamConsumers) {
      const mapping = mappingOf(functionIdOf(template, consumer.handler));
      queues.set(`stream consumer ${name}`, referencedId(mapping.DestinationConfig.OnFailure.Destination)!);
    }
    for (const [name, consumer] of eventConsumers) {
      const { target } = ruleOf(functionIdOf(template, consumer.handler));
      queues.set(`event consumer ${name}`, referencedId(target.DeadLetterConfig.Arn)!);
    }
    return queues;
  }

  /** Every action of a consumer's role but the SQS ones (checked with its queue), sorted. */
  function nonQueueActions(statements: Statement[]): string[] {
    return [...actionsOf(statements)].filter((action) => !action.startsWith("sqs:")).sort();
  }

  /** What a consumer's declaration allows besides its stream and its queue. */
  function declaredActions(consumer: Partial<StreamConsumer & EventConsumer>): string[] {
    const sends = new Set(consumer.sends ?? []);
    return [
      ...tableActions(consumer.table!),
      ...(consumer.starts?.length ? ["states:StartExecution"] : []),
      ...(sends.has("email") ? emailActions : []),
      ...(sends.has("sms") || sends.has("push") ? ["sns:Publish"] : []),
      // The Web Push key pair's SSM parameters, read when a web push is sent.
      ...(sends.has("push") ? ["ssm:GetParameters"] : []),
      ...(consumer.publishes ? ["events:PutEvents"] : []),
      ...(consumer.archives ? ["s3:PutObject"] : []),
      ...tracingActions,
      ...logWriteActions,
    ];
  }

  describe("scheduled functions", () => {
    it.each(scheduledFunctionEntries())("runs %s on its declared schedule with what it declares", (_name, job) => {
      const functionId = functionIdOf(template, job.handler);
      const rules = ofType(resources, "AWS::Events::Rule").filter(([, rule]) =>
        asList<{ Arn: unknown }>(rule.Properties.Targets ?? []).some((target) => referencedId(target.Arn) === functionId),
      );
      expect(rules).toHaveLength(1);
      expect(rules[0]![1].Properties.ScheduleExpression).toBe(job.schedule);
      expect(rules[0]![1].Properties.EventBusName).toBeUndefined(); // the default bus carries schedules
      const statements = functionStatements(resources, functionId);
      expect(nonQueueActions(statements)).toEqual(declaredActions(job).sort());
      if (job.sends?.includes("email")) expect(variablesOf(functionId).CAREBOOK_EMAIL_FROM).toMatch(/@/);
    });

    it.each(scheduledFunctionEntries())("logs %s to a log group of its own", (_name, job) => {
      ownLogGroupOf(resources, functionIdOf(template, job.handler));
    });
  });

  describe("the bus", () => {
    it("is one custom bus named for the stage and app", () => {
      const buses = ofType(resources, "AWS::Events::EventBus");
      expect(buses).toHaveLength(1);
      expect(buses[0]![1].Properties.Name).toBe("test-carebook-events");
      template.hasOutput("EventBusName", { Value: { Ref: busId() } });
    });

    it("deploys after the Workflows stack, whose state machines the consumers start", () => {
      expect(synthesized.app.stack(Events).dependencies).toContain(synthesized.stacks.workflows);
    });
  });

  describe("event consumers", () => {
    it("has exactly one rule per event consumer, each on the bus it declares", () => {
      const rules = ofType(resources, "AWS::Events::Rule").filter(([, rule]) => !rule.Properties.ScheduleExpression);
      expect(rules).toHaveLength(eventConsumers.length);
      for (const [name, consumer] of eventConsumers) {
        const { rule } = ruleOf(functionIdOf(template, consumer.handler));
        if (consumer.bus === "default") expect(rule.EventBusName, name).toBe("default");
        else expect(referencedId(rule.EventBusName), name).toBe(busId());
        expect(rule.State, name).toBe("ENABLED");
      }
    });

    it("sends every e-mail through a configuration set that reports deliveries, bounces and complaints to the default bus", () => {
      const sets = ofType(resources, "AWS::SES::ConfigurationSet");
      expect(sets).toHaveLength(1);
      const destinations = ofType(resources, "AWS::SES::ConfigurationSetEventDestination").map(([, d]) => d.Properties);
      expect(destinations).toHaveLength(1);
      expect(destinations[0].EventDestination.MatchingEventTypes.sort()).toEqual(["bounce", "complaint", "delivery"]);
      expect(JSON.stringify(destinations[0].EventDestination.EventBridgeDestination.EventBusArn)).toContain("event-bus/default");
      const feedback = eventConsumers.find(([, c]) => c.bus === "default" && JSON.stringify(c.pattern.source) === JSON.stringify(["aws.ses"]));
      expect(feedback, "a consumer of SES's reports").toBeDefined();
      const senders = [...eventConsumers, ...scheduledFunctionEntries()].filter(([, c]) => c.sends?.includes("email"));
      expect(senders.length).toBeGreaterThan(0);
      for (const [name, consumer] of senders) {
        const functionId = functionIdOf(template, consumer.handler);
        expect(variablesOf(functionId).CAREBOOK_EMAIL_CONFIGURATION_SET, name).toEqual({ Ref: sets[0]![0] });
        // SES allowed with exactly that configuration set, not any of the account's.
        const configurationSets = resourcesFor(functionStatements(resources, functionId), "ses:SendEmail").filter((r) =>
          r.includes(":configuration-set/"),
        );
        expect(configurationSets, name).toEqual([expect.stringMatching(new RegExp(`:configuration-set/\\$\\{Ref:${sets[0]![0]}\\}$`))]);
      }
    });

    it.each(eventConsumers)("routes %s's declared pattern, exactly, to its own function", (_name, consumer) => {
      const functionId = functionIdOf(template, consumer.handler);
      const { rule, target } = ruleOf(functionId);
      expect(rule.EventPattern).toEqual(consumer.pattern);
      expect(target.Arn).toEqual({ "Fn::GetAtt": [functionId, "Arn"] });
      // Bounded retries, then the dead-letter queue.
      expect(target.RetryPolicy).toEqual({
        MaximumRetryAttempts: expect.any(Number),
        MaximumEventAgeInSeconds: expect.any(Number),
      });
      expect(resources[referencedId(target.DeadLetterConfig.Arn)!]?.Type).toBe("AWS::SQS::Queue");
    });

    it.each(eventConsumers)("lets only %s's rule invoke its function", (_name, consumer) => {
      const functionId = functionIdOf(template, consumer.handler);
      const { ruleId } = ruleOf(functionId);
      const permissions = ofType(resources, "AWS::Lambda::Permission").filter(
        ([, p]) => referencedId(p.Properties.FunctionName) === functionId,
      );
      expect(permissions.map(([, p]) => p.Properties)).toEqual([
        {
          Action: "lambda:InvokeFunction",
          FunctionName: { "Fn::GetAtt": [functionId, "Arn"] },
          Principal: "events.amazonaws.com",
          SourceArn: { "Fn::GetAtt": [ruleId, "Arn"] },
        },
      ]);
    });

    it.each(eventConsumers)(
      "parks %s's events in the same queue when its handler keeps failing",
      (_name, consumer) => {
        // EventBridge invokes Lambda asynchronously: a handler's error is retried by Lambda, and
        // only the function's own dead-letter queue catches what still fails.
        const functionId = functionIdOf(template, consumer.handler);
        const { target } = ruleOf(functionId);
        expect(resources[functionId]!.Properties.DeadLetterConfig).toEqual({ TargetArn: target.DeadLetterConfig.Arn });
        const invokeConfigs = ofType(resources, "AWS::Lambda::EventInvokeConfig").filter(
          ([, c]) => referencedId(c.Properties.FunctionName) === functionId,
        );
        expect(invokeConfigs.map(([, c]) => c.Properties)).toEqual([
          expect.objectContaining({
            Qualifier: "$LATEST",
            MaximumRetryAttempts: expect.any(Number),
            MaximumEventAgeInSeconds: expect.any(Number),
          }),
        ]);
      },
    );

    it.each(eventConsumers)(
      "tells %s the ARNs of exactly the workflows it starts, and lets it start those only",
      (_name, consumer) => {
        const functionId = functionIdOf(template, consumer.handler);
        const starts = [...new Set(consumer.starts ?? [])];
        const variables = variablesOf(functionId);
        for (const [workflow, definition] of workflowEntries()) {
          if (starts.includes(workflow)) {
            expect(render(variables[definition.arnEnv])).toBe(stateMachineArn(synthesized.workflows, workflow));
          } else {
            expect(variables).not.toHaveProperty(definition.arnEnv);
          }
        }
        expect(resourcesFor(functionStatements(resources, functionId), "states:StartExecution")).toEqual(
          starts.map((workflow) => stateMachineArn(synthesized.workflows, workflow)).sort(),
        );
      },
    );

    it.each(eventConsumers)("allows %s what it declares and nothing else", (_name, consumer) => {
      const functionId = functionIdOf(template, consumer.handler);
      const statements = functionStatements(resources, functionId);
      expect(nonQueueActions(statements)).toEqual(declaredActions(consumer).sort());
      expect(variablesOf(functionId)).not.toHaveProperty(EVENT_BUS_ENV);
      // Email only from this account and region's SES identities (and configuration sets).
      for (const action of emailActions) {
        for (const resource of resourcesFor(statements, action)) {
          expect(resource).toMatch(/^arn:\$\{Ref:AWS::Partition\}:ses:(\$\{Ref:AWS::Region\}|[a-z]{2}-[a-z]+-\d):(\$\{Ref:AWS::AccountId\}|\d{12}):/);
        }
      }
    });
  });

  describe("the Web Push keys", () => {
    const pushSenders = [...eventConsumers, ...scheduledFunctionEntries()].filter(([, fn]) => fn.sends?.includes("push"));

    it("are there to read: some function sends push", () => {
      expect(pushSenders.length).toBeGreaterThan(0);
    });

    it.each(pushSenders)("are named to %s, which sends push, and readable by it: this stage's two parameters only", (_name, fn) => {
      const functionId = functionIdOf(template, fn.handler);
      const parameters = resourcesFor(functionStatements(resources, functionId), "ssm:GetParameters");
      // Where `npx sst secrets set WEB_PUSH_… --stage test` writes them.
      const path = (name: string) => `/sst/carebook/test/Secret/${name}/value`;
      expect(parameters).toHaveLength(2);
      for (const [i, name] of ["WEB_PUSH_PRIVATE_KEY", "WEB_PUSH_PUBLIC_KEY"].entries()) {
        expect(parameters[i]).toMatch(new RegExp(`^arn:.*:ssm:.*:parameter${path(name).replace(/\//g, "\\/")}$`));
      }
      const variables = variablesOf(functionId);
      expect(variables.CAREBOOK_WEB_PUSH_PUBLIC_KEY_PARAMETER).toBe(path("WEB_PUSH_PUBLIC_KEY"));
      expect(variables.CAREBOOK_WEB_PUSH_PRIVATE_KEY_PARAMETER).toBe(path("WEB_PUSH_PRIVATE_KEY"));
      expect(variables.CAREBOOK_WEB_PUSH_SUBJECT).toBe("mailto:no-reply@carebook.example");
      // Not SST's binding: its runtime throws at start-up while a bound secret is unset.
      expect(Object.keys(variables).filter((v) => v.startsWith("SST_Secret"))).toEqual([]);
    });
  });

  describe("stream consumers", () => {
    it("has exactly one event-source mapping per stream consumer", () => {
      expect(ofType(resources, "AWS::Lambda::EventSourceMapping")).toHaveLength(streamConsumers.length);
    });

    it.each(streamConsumers)(
      "feeds %s the table's stream through its declared filters, in batches of its size",
      (_name, consumer) => {
        const mapping = mappingOf(functionIdOf(template, consumer.handler));
        expect(render(mapping.EventSourceArn)).toBe(tableAttribute("StreamArn"));
        const filters = asList<{ Pattern: string }>(mapping.FilterCriteria?.Filters).map((f) => JSON.parse(f.Pattern));
        expect(filters).toEqual(consumer.filters);
        expect(mapping.BatchSize).toBe(consumer.batchSize);
        expect(mapping.StartingPosition).toBe("TRIM_HORIZON");
      },
    );

    it.each(streamConsumers)(
      "retries %s's failing records alone, for a bounded time, then records them in its queue",
      (_name, consumer) => {
        const mapping = mappingOf(functionIdOf(template, consumer.handler));
        expect(mapping.BisectBatchOnFunctionError).toBe(true);
        expect(mapping.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
        // -1 would mean "until the record expires from the stream", blocking its shard a day.
        expect(mapping.MaximumRetryAttempts).toBeGreaterThanOrEqual(0);
        expect(mapping.MaximumRecordAgeInSeconds).toBeGreaterThanOrEqual(60);
        const queueId = referencedId(mapping.DestinationConfig.OnFailure.Destination)!;
        expect(resources[queueId]?.Type).toBe("AWS::SQS::Queue");
      },
    );

    it.each(streamConsumers)("lets %s read the table's stream, and that stream only", (_name, consumer) => {
      const statements = functionStatements(resources, functionIdOf(template, consumer.handler));
      for (const action of streamActions) {
        expect(resourcesFor(statements, action), action).toEqual([tableAttribute("StreamArn")]);
      }
    });

    it.each(streamConsumers)(
      "lets %s put events on the bus, and tells it the bus, only if it publishes",
      (_name, consumer) => {
        const functionId = functionIdOf(template, consumer.handler);
        const statements = functionStatements(resources, functionId);
        expect(resourcesFor(statements, "events:PutEvents")).toEqual(consumer.publishes ? [busArn()] : []);
        if (consumer.publishes) {
          expect(variablesOf(functionId)[EVENT_BUS_ENV]).toEqual({ Ref: busId() });
        } else {
          expect(variablesOf(functionId)).not.toHaveProperty(EVENT_BUS_ENV);
        }
      },
    );

    it.each(streamConsumers)(
      "lets %s write the archive bucket's objects, and tells it the bucket, only if it archives",
      (_name, consumer) => {
        const functionId = functionIdOf(template, consumer.handler);
        const statements = functionStatements(resources, functionId);
        const bucketId = archiveBucketId();
        expect(resourcesFor(statements, "s3:PutObject")).toEqual(consumer.archives ? [`\${GetAtt:${bucketId}.Arn}/*`] : []);
        // Writing only: no reads, listings or deletes of the archive, and no KMS key grants
        // (the bucket's key is the AWS managed aws/s3).
        for (const action of actionsOf(statements)) {
          if (action.startsWith("s3:")) expect(action).toBe("s3:PutObject");
          expect(action).not.toMatch(/^kms:/);
        }
        if (consumer.archives) {
          expect(variablesOf(functionId)[ARCHIVE_BUCKET_ENV]).toEqual({ Ref: bucketId });
        } else {
          expect(variablesOf(functionId)).not.toHaveProperty(ARCHIVE_BUCKET_ENV);
        }
      },
    );

    it.each(streamConsumers)("gathers records for %s as long as it declares", (_name, consumer) => {
      const mapping = mappingOf(functionIdOf(template, consumer.handler));
      const declared = (consumer as StreamConsumer).batchingWindowSeconds;
      expect(mapping.MaximumBatchingWindowInSeconds).toBe(declared);
    });

    it("archives only appointments removed by TTL", () => {
      const archivers = streamConsumers.filter(([, c]) => (c as StreamConsumer).archives);
      expect(archivers.map(([name]) => name)).toEqual(["archiver"]);
      for (const [, consumer] of archivers) {
        for (const filter of consumer.filters) {
          expect(filter).toMatchObject({
            eventName: ["REMOVE"],
            userIdentity: { type: ["Service"], principalId: ["dynamodb.amazonaws.com"] },
            dynamodb: { OldImage: { __edb_e__: { S: ["appointment"] } } },
          });
        }
      }
    });

    it.each(streamConsumers)("allows %s what it declares and nothing else", (_name, consumer) => {
      const statements = functionStatements(resources, functionIdOf(template, consumer.handler));
      expect(nonQueueActions(statements)).toEqual([...declaredActions(consumer), ...streamActions].sort());
    });
  });

  describe("every consumer", () => {
    const allConsumers = [
      ...streamConsumers.map(([name, c]) => [`stream consumer ${name}`, c] as const),
      ...eventConsumers.map(([name, c]) => [`event consumer ${name}`, c] as const),
    ];

    it("has a dead-letter queue of its own", () => {
      const queues = deadLetterQueues();
      expect(new Set(queues.values()).size).toBe(allConsumers.length);
      // And nothing else in the stack is a queue.
      expect(ofType(resources, "AWS::SQS::Queue").map(([id]) => id).sort()).toEqual([...queues.values()].sort());
    });

    it("is the only one allowed to send to its queue", () => {
      const queues = deadLetterQueues();
      for (const [owner, consumer] of allConsumers) {
        const role = roleOf(functionIdOf(template, consumer.handler));
        for (const [other, queueId] of queues) {
          const sends = resourcesFor(roleStatements(resources, role), "sqs:SendMessage");
          expect(sends.includes(queueArn(queueId)), `${owner} → queue of ${other}`).toBe(other === owner);
        }
        // And its SQS actions touch its queue only.
        const statements = roleStatements(resources, role).filter((s) => asList(s.Action).some((a) => a.startsWith("sqs:")));
        for (const statement of statements) {
          expect(asList(statement.Resource).map(render), owner).toEqual([queueArn(queues.get(owner)!)]);
        }
      }
    });

    it.each(allConsumers)("gives %s exactly its declared table access", (_owner, consumer) => {
      const statements = functionStatements(resources, functionIdOf(template, consumer.handler));
      const tableOnly = [...actionsOf(statements)].filter((a) => a.startsWith("dynamodb:") && !streamActions.includes(a));
      expect(tableOnly.sort()).toEqual(tableActions(consumer.table));
      if (consumer.table !== "none") {
        // Each index of the declaration by name, no `index/*`.
        const indexes = Object.keys(tableDefinition.globalIndexes).map((index) => `${tableAttribute("Arn")}/index/${index}`);
        expect(resourcesFor(statements, "dynamodb:GetItem")).toEqual([tableAttribute("Arn"), ...indexes].sort());
      }
    });

    it.each(allConsumers)("logs %s to a log group of its own, encrypted and expiring", (_owner, consumer) => {
      ownLogGroupOf(resources, functionIdOf(template, consumer.handler));
    });

    it.each(allConsumers)("runs %s with the shared Lambda settings and environment", (_owner, consumer) => {
      const functionId = functionIdOf(template, consumer.handler);
      expect(resources[functionId]!.Properties).toMatchObject({
        Runtime: "nodejs22.x",
        Architectures: ["arm64"],
        MemorySize: 512,
        Timeout: 10,
        TracingConfig: { Mode: "Active" },
        Environment: {
          Variables: {
            TABLE_NAME: expect.anything(),
            CAREBOOK_REGION_ID: regionId,
            POWERTOOLS_SERVICE_NAME: "carebook",
          },
        },
      });
      expect(resources[functionId]!.Properties.Description).toContain(consumer.description);
    });

    it("grants no wildcard action, and Resource * only to tracing and SNS publishing", () => {
      for (const statement of allStatements(template)) {
        const actions = asList(statement.Action);
        expect(actions).not.toContain("*");
        for (const action of actions) expect(action, "no service-wide wildcard").not.toMatch(/:\*$/);
        if (asList(statement.Resource).includes("*")) {
          // sns:Publish to a phone number or push endpoint has no resource (stacks/iam.ts).
          for (const action of actions) expect([...tracingActions, "sns:Publish"]).toContain(action);
        }
      }
    });

    it("encrypts every queue, refuses plain HTTP to it, and keeps messages two weeks", () => {
      const queues = ofType(resources, "AWS::SQS::Queue");
      expect(queues.length).toBeGreaterThan(0);
      const policies = ofType(resources, "AWS::SQS::QueuePolicy");
      for (const [id, queue] of queues) {
        expect(queue.Properties, id).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
        const statements = policies
          .filter(([, p]) => asList(p.Properties.Queues).some((q) => referencedId(q) === id))
          .flatMap(([, p]) => asList<any>(p.Properties.PolicyDocument.Statement));
        expect(statements, id).toContainEqual(
          expect.objectContaining({
            Effect: "Deny",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
            Resource: { "Fn::GetAtt": [id, "Arn"] },
          }),
        );
      }
    });
  });

  describe("the archive bucket (Storage)", () => {
    const bucket = () => [archiveBucketId(), storageResources[archiveBucketId()]!] as const;
    const policyOf = (bucketId: string) => {
      const policies = ofType(storageResources, "AWS::S3::BucketPolicy").filter(([, p]) => referencedId(p.Properties.Bucket) === bucketId);
      expect(policies, `policies of ${bucketId}`).toHaveLength(1);
      return policies[0]![1];
    };

    it("encrypts objects at rest with KMS", () => {
      expect(bucket()[1].Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [
          expect.objectContaining({ ServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" } }),
        ],
      });
    });

    it("blocks every kind of public access", () => {
      expect(bucket()[1].Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    });

    it("keeps versions, moves objects to a Glacier class after a year and expires old versions", () => {
      const properties = bucket()[1].Properties;
      expect(properties.VersioningConfiguration).toEqual({ Status: "Enabled" });
      const rules: any[] = properties.LifecycleConfiguration.Rules;
      expect(rules).toContainEqual(
        expect.objectContaining({
          Status: "Enabled",
          Transitions: [{ StorageClass: expect.stringMatching(/^GLACIER/), TransitionInDays: 365 }],
          NoncurrentVersionExpiration: { NoncurrentDays: expect.any(Number) },
        }),
      );
    });

    it("denies requests not made over TLS", () => {
      const [bucketId] = bucket();
      const policy = policyOf(bucketId);
      const statements: any[] = policy.Properties.PolicyDocument.Statement;
      const insecure = statements.find(
        (s) => s.Effect === "Deny" && s.Condition?.Bool?.["aws:SecureTransport"] === "false",
      );
      expect(insecure).toMatchObject({ Action: "s3:*", Principal: { AWS: "*" } });
      expect(asList(insecure.Resource).map(render).sort()).toEqual(
        [`\${GetAtt:${bucketId}.Arn}`, `\${GetAtt:${bucketId}.Arn}/*`].sort(),
      );
    });

    it("lets the test stage delete the bucket with the stack", () => {
      expect(bucket()[1]).toMatchObject({ DeletionPolicy: "Delete" });
    });

    it("logs every request to it in an access-log bucket that only S3's log delivery for it writes to", () => {
      const [bucketId, archive] = bucket();
      const logging = archive.Properties.LoggingConfiguration;
      expect(logging.LogFilePrefix).toMatch(/\/$/);
      const logsId = referencedId(logging.DestinationBucketName)!;
      const logs = storageResources[logsId]!;
      expect(logs.Type).toBe("AWS::S3::Bucket");
      expect(logs.Properties).toMatchObject({
        // Log delivery writes only to SSE-S3 buckets.
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
        VersioningConfiguration: { Status: "Enabled" },
      });
      expect(logs.Properties.AccessControl).toBeUndefined();
      expect(logs.Properties.LifecycleConfiguration.Rules).toContainEqual(
        expect.objectContaining({ Status: "Enabled", ExpirationInDays: expect.any(Number) }),
      );
      const statements: any[] = policyOf(logsId).Properties.PolicyDocument.Statement;
      // (Besides the throwaway stage's auto-delete custom resource, allowed to empty it.)
      const delivery = statements.filter((s) => s.Effect === "Allow" && s.Principal?.Service);
      expect(delivery).toEqual([
        expect.objectContaining({
          Principal: { Service: "logging.s3.amazonaws.com" },
          Action: "s3:PutObject",
          Condition: {
            ArnLike: { "aws:SourceArn": { "Fn::GetAtt": [bucketId, "Arn"] } },
            StringEquals: { "aws:SourceAccount": expect.anything() },
          },
        }),
      ]);
      expect(render(delivery[0].Resource)).toBe(`\${GetAtt:${logsId}.Arn}/${logging.LogFilePrefix}*`);
      // And only over TLS, like the archive.
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
      );
    });
  });

  describe("the stage's logs key (Storage)", () => {
    it("is a rotated KMS key that CloudWatch Logs may use for this account and region's log groups only", () => {
      const [keyId, key] = only("AWS::KMS::Key");
      expect(key.Properties.EnableKeyRotation).toBe(true);
      const statements: any[] = key.Properties.KeyPolicy.Statement;
      const logs = statements.filter((s) => JSON.stringify(s.Principal ?? {}).includes("logs."));
      expect(logs).toHaveLength(1);
      expect(render(logs[0].Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"])).toMatch(
        /^arn:\$\{Ref:AWS::Partition\}:logs:[a-z0-9-]+:\d{12}:log-group:\*$/,
      );
      // Every log group of the Events stack uses it.
      const groups = ofType(resources, "AWS::Logs::LogGroup");
      expect(groups.length).toBeGreaterThan(0);
      for (const [id, group] of groups) expect(render(group.Properties.KmsKeyId), id).toBe(`\${GetAtt:${keyId}.Arn}`);
    });
  });

  it("backs up no throwaway stage's table (its data goes with the stack)", () => {
    expect(ofType(storageResources, "AWS::Backup::BackupPlan")).toEqual([]);
  });

  describe("a production stage", () => {
    /** The Storage stack of the run's production-stage synthesis. */
    const storage = () => synthesisOf("prod").template(Storage);

    it("retains the archive bucket, its access logs and the logs key when the stack is removed", () => {
      const template = storage();
      template.allResources("AWS::S3::Bucket", { DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" });
      template.allResources("AWS::KMS::Key", { DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" });
      // No auto-delete custom resource outside throwaway stages.
      template.resourceCountIs("Custom::S3AutoDeleteObjects", 0);
    });

    it("backs the table up daily, for 35 days, into a vault of its own that outlives the stack", () => {
      const resources = resourcesOf(storage());
      const [tableId] = ofType(resources, "AWS::DynamoDB::Table")[0]!;
      const selections = ofType(resources, "AWS::Backup::BackupSelection").map(([, s]) => s.Properties);
      expect(selections).toHaveLength(1);
      expect(selections[0].BackupSelection.Resources.map(render)).toEqual([`\${GetAtt:${tableId}.Arn}`]);
      const plans = ofType(resources, "AWS::Backup::BackupPlan");
      expect(plans).toHaveLength(1);
      expect(referencedId(selections[0].BackupPlanId)).toBe(plans[0]![0]);
      const rules: any[] = plans[0]![1].Properties.BackupPlan.BackupPlanRule;
      expect(rules).toEqual([
        expect.objectContaining({ ScheduleExpression: expect.stringMatching(/^cron\(\d+ \d+ \* \* \? \*\)$/), Lifecycle: { DeleteAfterDays: 35 } }),
      ]);
      const vaults = ofType(resources, "AWS::Backup::BackupVault");
      expect(vaults.map(([id]) => id)).toEqual([referencedId(rules[0].TargetBackupVault)]);
      expect(vaults[0]![1]).toMatchObject({ DeletionPolicy: "Retain" });
    });
  });
});
