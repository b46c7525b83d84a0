import { ArnFormat, Duration, type Stack } from "aws-cdk-lib";
import { EventBus, type EventPattern as CdkEventPattern, type IEventBus, Rule } from "aws-cdk-lib/aws-events";
import type { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { ConfigurationSet, EmailSendingEvent, EventDestination } from "aws-cdk-lib/aws-ses";
import { FilterCriteria, StartingPosition } from "aws-cdk-lib/aws-lambda";
import { SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Cron, dependsOn, Function as SstFunction, type StackContext, use } from "sst/constructs";
import type { EventPattern } from "@carebook/core/events/pattern";
import {
  ARCHIVE_BUCKET_ENV,
  EVENT_BUS_ENV,
  type EventConsumer,
  type EventConsumerName,
  eventConsumerEntries,
  type ScheduledFunctionName,
  scheduledFunctionEntries,
  type StreamConsumerName,
  streamConsumerEntries,
} from "../functions/events/index";
import { WEB_PUSH_PARAMETER_ENV, WEB_PUSH_SECRETS, WEB_PUSH_SUBJECT_ENV, webPushParameterName } from "../functions/lib/channels/web-push";
import { functionLogging, senderOf, stageConfig, tableFunctionDefaults } from "./config";
import {
  archiveWritePolicy,
  publishPolicy,
  type SendResources,
  sendPolicy,
  streamReadPolicy,
  tablePolicy,
  workflowPolicy,
} from "./iam";
import { suppress, suppressFunctionFindings, suppressSstInternals } from "./nag";
import { Storage } from "./Storage";
import { workflowEnvironment, Workflows } from "./Workflows";

/**
 * How long a failing stream batch is retried before its position goes to the consumer's queue.
 * Records of a shard are delivered in order, so a failing record holds its shard back that
 * long; bisecting and partial batch responses confine the wait to the records that fail.
 * (The stream itself keeps records 24 hours.)
 */
const streamRetry = { retryAttempts: 20, maxRecordAge: Duration.hours(6) };
/** How long, and how often, a bus consumer's event is retried. */
export interface BusConsumerRetry {
  /** EventBridge's retries of a delivery to the consumer (its asynchronous Invoke). */
  bus: { retryAttempts: number; maxEventAge: Duration };
  /** Lambda's retries of an event whose handler threw (2 is the most Lambda allows). */
  invoke: { retryAttempts: number; maxEventAge: Duration };
}

const consumerRetry: BusConsumerRetry = {
  bus: { retryAttempts: 24, maxEventAge: Duration.hours(6) },
  invoke: { retryAttempts: 2, maxEventAge: Duration.hours(6) },
};

/**
 * The domain events: the bus, and the consumers of the events table
 * (functions/events/index.ts), deployed generically from its declarations.
 *
 * - Each stream consumer is a Lambda fed by the table's stream through an event-source mapping
 *   with the declared filters, batch size, bisection on error, partial batch responses, and an
 *   SQS queue that receives the position of any batch it finally gives up on.
 * - Each event consumer is a Lambda target of its own rule on the bus, the rule's pattern the
 *   declared one. Its SQS dead-letter queue takes both kinds of failure: events EventBridge
 *   could not deliver (the target's dead-letter queue) and events whose handler still threw
 *   after Lambda's retries (the function's dead-letter queue — EventBridge invokes Lambda
 *   asynchronously, so a handler's error never reaches EventBridge's retry policy). In both
 *   cases the message body is the event itself, so one redrive re-puts it on the bus.
 *
 * No archive on the bus: every event stays in the table as its outbox item (`domainEvent`),
 * which can be republished; an archive would be a second copy of patient-related data outside
 * the reach of erasure.
 */
export function Events({ app, stack }: StackContext) {
  const { table, archiveBucket, logsKey } = use(Storage);
  const { stateMachineArns } = use(Workflows);
  // As in Api: the state machine ARNs are strings, so only this orders the deployment.
  dependsOn(Workflows);
  const { emailFrom } = stageConfig(stack.stage);

  const bus = new EventBus(stack, "Bus", { eventBusName: app.logicalPrefixedName("events") });
  // The account's default bus: where SES (and other AWS services) put their events.
  const defaultBus = EventBus.fromEventBusName(stack, "DefaultBus", "default");

  // Every e-mail is sent with this configuration set: SES reports deliveries, bounces and
  // complaints of our messages to the default bus, where the emailFeedback consumer reads them.
  const emailEvents = new ConfigurationSet(stack, "EmailEvents", {
    configurationSetName: app.logicalPrefixedName("email"),
  });
  emailEvents.addEventDestination("ToEventBridge", {
    destination: EventDestination.eventBus(defaultBus),
    events: [EmailSendingEvent.DELIVERY, EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT],
  });
  // Web Push's VAPID key pair: the stage's parameters where `npx sst secrets set` puts them
  // (docs/web.md). Every function that sends push gets their names and may read exactly those;
  // without them set, a stage sends no web push (web-push.ts: the next channel is tried).
  const webPushKeys = webPushKeyParameters(stack, app.name, stack.stage);
  const senders: Senders = {
    emailFrom,
    configurationSet: emailEvents.configurationSetName,
    // Push services contact the sender at this address about its traffic.
    webPushSubject: `mailto:${senderOf(emailFrom).fromEmail}`,
    webPushKeys,
  };
  const sendResources = {
    ...sesResources(stack, emailEvents.configurationSetName),
    webPushKeyParameters: [webPushKeys.publicKey.arn, webPushKeys.privateKey.arn],
  };

  stack.setDefaultFunctionProps(tableFunctionDefaults(stack.stage, table));

  const streamArn = table.cdk.table.tableStreamArn;
  if (!streamArn) throw new Error("The table has no stream: set tableDefinition.stream");

  const streamConsumers = {} as Record<StreamConsumerName, SstFunction>;
  const eventConsumers = {} as Record<EventConsumerName, SstFunction>;
  const deadLetterQueues = {} as Record<StreamConsumerName | EventConsumerName, Queue>;

  for (const [name, consumer] of streamConsumerEntries()) {
    const id = `${pascal(name)}StreamConsumer`;
    const deadLetterQueue = deadLetterQueueOf(stack, id);
    const fn = new SstFunction(stack, id, {
      ...functionLogging(stack, id, logsKey),
      handler: consumer.handler,
      description: `Stream consumer ${name}: ${consumer.description}`,
      environment: {
        ...(consumer.publishes ? { [EVENT_BUS_ENV]: bus.eventBusName } : {}),
        ...(consumer.archives ? { [ARCHIVE_BUCKET_ENV]: archiveBucket.bucketName } : {}),
      },
      permissions: [
        ...streamReadPolicy(streamArn),
        ...tablePolicy(consumer.table, table.tableArn),
        ...publishPolicy(consumer.publishes, bus.eventBusArn),
        ...archiveWritePolicy(consumer.archives, archiveBucket.bucketArn),
      ],
    });
    // Not CDK's DynamoEventSource: it grants dynamodb:ListStreams on "*" (streamReadPolicy
    // above grants the stream actions on this stream only).
    fn.addEventSourceMapping("TableStream", {
      eventSourceArn: streamArn,
      // The oldest record still in the stream: nothing committed is skipped when the mapping is
      // (re)created.
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: consumer.batchSize,
      ...(consumer.batchingWindowSeconds ? { maxBatchingWindow: Duration.seconds(consumer.batchingWindowSeconds) } : {}),
      filters: consumer.filters.map((filter) => FilterCriteria.filter(filter)),
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      ...streamRetry,
      onFailure: new SqsDlq(deadLetterQueue),
    });
    suppressFunctionFindings(fn, "tableStream");
    suppress(deadLetterQueue, [
      {
        id: "AwsSolutions-SQS3",
        reason:
          "This queue is a dead-letter queue: the on-failure destination of the stream consumer's event-source " +
          "mapping (cdk-nag recognizes only queues named in a redrive policy or a function's DeadLetterConfig).",
      },
    ]);
    streamConsumers[name] = fn;
    deadLetterQueues[name] = deadLetterQueue;
  }

  for (const [name, consumer] of eventConsumerEntries()) {
    const { fn, deadLetterQueue } = busConsumer(stack, name, consumer, {
      bus: consumer.bus === "default" ? defaultBus : bus,
      logsKey,
      environment: { ...workflowEnvironment(consumer.starts, stateMachineArns), ...senderEnvironment(consumer.sends, senders) },
      permissions: [
        ...tablePolicy(consumer.table, table.tableArn),
        ...workflowPolicy(consumer, stateMachineArns),
        ...sendPolicy(consumer.sends, sendResources),
      ],
    });
    eventConsumers[name] = fn;
    deadLetterQueues[name] = deadLetterQueue;
  }

  // Scheduled functions (the local runtime runs the same handlers on timers of the same period).
  const scheduled = {} as Record<ScheduledFunctionName, Cron>;
  for (const [name, job] of scheduledFunctionEntries()) {
    const id = `${pascal(name)}Schedule`;
    scheduled[name] = new Cron(stack, id, {
      schedule: job.schedule as `rate(${string})`,
      job: {
        function: {
          ...functionLogging(stack, id, logsKey),
          handler: job.handler,
          description: `Scheduled ${name}: ${job.description}`.slice(0, 256),
          environment: senderEnvironment(job.sends, senders),
          permissions: [...tablePolicy(job.table, table.tableArn), ...sendPolicy(job.sends, sendResources)],
        },
      },
    });
    suppressFunctionFindings(scheduled[name].jobFunction, "schedule");
  }

  stack.addOutputs({ EventBusName: bus.eventBusName });

  suppressSstInternals(stack);

  return { bus, streamConsumers, eventConsumers, deadLetterQueues, scheduled, webPushKeys };
}

/**
 * A consumer of the events table deployed as a target of its own rule on `bus` (its pattern):
 * the Lambda (its own log group and role, the stack's function defaults, `environment` and
 * exactly `permissions`), and one SQS dead-letter queue for both kinds of failure — events
 * EventBridge could not deliver, and events whose handler still threw after Lambda's retries.
 * Used here for `eventConsumers`, and by the Realtime stack for `pushConsumers`.
 */
export function busConsumer(
  stack: Stack,
  name: string,
  consumer: EventConsumer,
  options: {
    bus: IEventBus;
    logsKey: IKey;
    environment?: Record<string, string>;
    permissions: PolicyStatement[];
    retry?: BusConsumerRetry;
  },
): { fn: SstFunction; rule: Rule; deadLetterQueue: Queue } {
  const id = `${pascal(name)}EventConsumer`;
  const retry = options.retry ?? consumerRetry;
  const deadLetterQueue = deadLetterQueueOf(stack, id);
  const fn = new SstFunction(stack, id, {
    ...functionLogging(stack, id, options.logsKey),
    handler: consumer.handler,
    description: `Event consumer ${name}: ${consumer.description}`,
    environment: options.environment ?? {},
    permissions: options.permissions,
    ...retry.invoke,
    deadLetterQueue,
  });
  const rule = new Rule(stack, `${pascal(name)}Rule`, {
    eventBus: options.bus,
    description: `Event consumer ${name}: ${consumer.description}`.slice(0, 512),
    eventPattern: ruleEventPattern(name, consumer.pattern),
    targets: [new LambdaFunction(fn, { ...retry.bus, deadLetterQueue })],
  });
  suppressFunctionFindings(fn, "eventBus");
  return { fn, rule, deadLetterQueue };
}

interface Senders {
  emailFrom: string;
  configurationSet: string;
  webPushSubject: string;
  webPushKeys: WebPushKeyParameters;
}

/** Where a function that sends e-mail sends it from, and the configuration set that reports back;
 * whom push services may contact about a function's web push. */
function senderEnvironment(sends: readonly string[] | undefined, senders: Senders): Record<string, string> {
  return {
    ...(sends?.includes("email") ? { CAREBOOK_EMAIL_FROM: senders.emailFrom, CAREBOOK_EMAIL_CONFIGURATION_SET: senders.configurationSet } : {}),
    ...(sends?.includes("push")
      ? {
          [WEB_PUSH_SUBJECT_ENV]: senders.webPushSubject,
          [WEB_PUSH_PARAMETER_ENV.publicKey]: senders.webPushKeys.publicKey.name,
          [WEB_PUSH_PARAMETER_ENV.privateKey]: senders.webPushKeys.privateKey.name,
        }
      : {}),
  };
}

/** A Web Push key's SSM parameter: its name (for the function) and ARN (for its IAM). */
export interface WebPushKeyParameters {
  publicKey: { name: string; arn: string };
  privateKey: { name: string; arn: string };
}

/** This stage's Web Push key parameters, named as `sst secrets set` writes them. */
function webPushKeyParameters(stack: Stack, appName: string, stage: string): WebPushKeyParameters {
  const parameter = (secret: string) => {
    const name = webPushParameterName(appName, stage, secret);
    return { name, arn: stack.formatArn({ service: "ssm", resource: "parameter", resourceName: name.slice(1) }) };
  };
  return { publicKey: parameter(WEB_PUSH_SECRETS.publicKey), privateKey: parameter(WEB_PUSH_SECRETS.privateKey) };
}

/** A consumer's own dead-letter queue. */
function deadLetterQueueOf(stack: Stack, consumerId: string): Queue {
  return new Queue(stack, `${consumerId}DeadLetterQueue`, {
    // SSE-SQS, not a KMS key: EventBridge can only deliver to a queue encrypted with a
    // customer-managed key whose policy admits it, and the aws/sqs key's policy cannot be changed.
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    // SQS's maximum: two weeks to notice, fix and redrive.
    retentionPeriod: Duration.days(14),
  });
}

/**
 * The declared pattern, as the rule's EventPattern. CDK passes the keys of its EventPattern
 * through as they are, except that it renames a top-level `detailType` to `detail-type` — a
 * field name no EventBridge event has at the top, so a pattern naming it is a mistake.
 */
function ruleEventPattern(name: string, pattern: EventPattern): CdkEventPattern {
  if ("detailType" in pattern) {
    throw new Error(`Event consumer ${name}: the pattern names "detailType"; EventBridge's field is "detail-type"`);
  }
  return pattern as unknown as CdkEventPattern;
}

/** Where SES may send from: this stage's account and region's identities, its one configuration set (see sendPolicy). */
function sesResources(stack: Stack, configurationSetName: string): Omit<SendResources, "webPushKeyParameters"> {
  const ses = (resource: string, resourceName: string) =>
    stack.formatArn({ service: "ses", resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  return { emailIdentities: ses("identity", "*"), emailConfigurationSet: ses("configuration-set", configurationSetName) };
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
