/**
 * EventBridge event patterns (packages/core/src/events/pattern.ts).
 *
 * Each group quotes the AWS documentation page and section its examples come from. Where the
 * docs leave a case open, the expectation is what AWS's TestEventPattern API answered (as
 * recorded by LocalStack's AWS-validated suite, tests/aws/services/events/event_pattern_templates)
 * or what aws/event-ruler, the library EventBridge runs, documents in its README.
 */
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { matches, validatePattern, type EventPattern } from "../../packages/core/src/events/pattern";

const NUM_RUNS = 300;

/** Asserts the pattern is valid and matches each event of `yes` and none of `no`. */
function check(pattern: EventPattern, yes: unknown[], no: unknown[] = []): void {
  expect(validatePattern(pattern)).toEqual([]);
  for (const event of yes) expect(matches(pattern, event), JSON.stringify(event)).toBe(true);
  for (const event of no) expect(matches(pattern, event), JSON.stringify(event)).toBe(false);
}

/** The sample event of the docs' "Creating Amazon EventBridge event patterns" page. */
const ec2Event = {
  version: "0",
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "111122223333",
  time: "2017-12-22T18:43:48Z",
  region: "us-west-1",
  resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  detail: { "instance-id": "i-1234567890abcdef0", state: "terminated" },
};

const withDetail = (detail: Record<string, unknown>) => ({ ...ec2Event, detail });

// ---------------------------------------------------------------------------------------------
// Documentation examples
// ---------------------------------------------------------------------------------------------

describe("docs: Creating Amazon EventBridge event patterns / Event pattern syntax", () => {
  // "For an event pattern to match an event, the event must contain all the field names listed in
  // the event pattern. The field names must also appear in the event with the same nesting
  // structure." "EventBridge ignores the fields in the event that aren't included in the event
  // pattern."
  it("selects the EC2 instance-termination events", () => {
    const pattern = {
      source: ["aws.ec2"],
      "detail-type": ["EC2 Instance State-change Notification"],
      detail: { state: ["terminated"] },
    };
    check(
      pattern,
      [ec2Event],
      [
        withDetail({ "instance-id": "i-1", state: "running" }),
        { ...ec2Event, source: "aws.fargate" },
        withDetail({ "instance-id": "i-1" }),
        { ...ec2Event, state: "terminated", detail: {} }, // right field, wrong nesting
        { ...ec2Event, detail: "terminated" },
      ],
    );
  });

  // "Matching event values": "to match events from Amazon EC2 or AWS Fargate, you could use the
  // following pattern".
  it("matches any of a field's values", () => {
    check({ source: ["aws.ec2", "aws.fargate"] }, [ec2Event, { ...ec2Event, source: "aws.fargate" }], [
      { ...ec2Event, source: "aws.ecs" },
    ]);
  });

  // Considerations: "For strings, EventBridge uses exact character-by-character matching without
  // case-folding or any other string normalization."
  it("matches strings exactly", () => {
    const text = "A CamelCase string with an emoji 🚀 and trailing whitespace ";
    check({ string: [text] }, [{ string: text }], [{ string: text.trim() }, { string: text.toLowerCase() }]);
    check({ my_key: ["my-value"] }, [{ my_key: "my-value" }], [{ MY_KEY: "my-value" }]);
  });

  // Considerations: "The values matched follow JSON rules": strings in quotes, numbers, and the
  // keywords true, false and null, none of which equals a string.
  it("keeps JSON types apart", () => {
    check({ flag: [false] }, [{ flag: false }], [{ flag: true }, { flag: "false" }, { flag: 0 }, { flag: null }]);
    check({ n: [5] }, [{ n: 5 }], [{ n: "5" }]);
    check({ n: ["5"] }, [{ n: "5" }], [{ n: 5 }]);
  });

  // Considerations says "300, 300.0, and 3.0e2 are not considered equal", but TestEventPattern
  // matches an event's 300.0 to the pattern [300], and event-ruler compiles a number in a pattern
  // to a numeric equality as well as a text match. We follow the service.
  it("compares numbers numerically, whatever their JSON spelling", () => {
    const pattern = JSON.parse('{"number": [300]}') as EventPattern;
    check(pattern, ['{"number": 300.0}', '{"number": 3.0e2}', '{"number": 300}'].map((e) => JSON.parse(e)), [
      { number: 300.5 },
      { number: "300" },
    ]);
  });

  // An event whose detail is a JSON string is not an object: its inside is not matched
  // (TestEventPattern).
  it("does not look into JSON text", () => {
    check({ detail: { "my-key": ["my-value"] } }, [], [{ detail: '{"my-key": "my-value"}' }]);
  });
});

describe("docs: Arrays in Amazon EventBridge event patterns", () => {
  // "If the value in the event is an array, then the event pattern matches if the intersection of
  // the event pattern array and the event array is non-empty."
  it("matches when the pattern and the event array intersect", () => {
    const pattern = {
      resources: [
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
      ],
    };
    const asg =
      "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate";
    check(
      pattern,
      [{ resources: [asg, "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"] }],
      [{ resources: [asg] }, { resources: [] }],
    );
  });
});

describe("docs: Matching events on null values and empty strings", () => {
  const event = {
    version: "0",
    id: "3e3c153a-8339-4e30-8c35-687ebef853fe",
    "detail-type": "EC2 Instance Launch Successful",
    source: "aws.autoscaling",
    account: "123456789012",
    time: "2015-11-11T21:31:47Z",
    region: "us-east-1",
    resources: [],
    detail: { eventVersion: "", responseElements: null },
  };

  it("matches an empty string and a null", () => {
    check({ detail: { eventVersion: [""] } }, [event]);
    check({ detail: { responseElements: [null] } }, [event]);
  });

  // "Null values and empty strings are not interchangeable in pattern matching. An event pattern
  // that matches empty strings doesn't match values of null."
  it("does not mix up null, the empty string, the text null and a missing field", () => {
    check({ detail: { responseElements: [""] } }, [], [event]);
    check({ detail: { eventVersion: [null] } }, [], [event]);
    check({ detail: { responseElements: [null] } }, [], [{ detail: { responseElements: "null" } }, { detail: {} }]);
    // An empty array holds no value, not even null (TestEventPattern).
    check({ resources: [null] }, [], [event]);
  });
});

describe("docs: Comparison operators / Prefix matching", () => {
  // "the following event pattern would match any event where the "time" field started with
  // "2017-10-02" such as "time": "2017-10-02T18:43:48Z"."
  it("matches the start of a string value", () => {
    check({ time: [{ prefix: "2017-10-02" }] }, [{ time: "2017-10-02T18:43:48Z" }], [
      { time: "2017-10-03T18:43:48Z" },
      { time: 20171002 },
    ]);
    // Summary table, "Begins with": Region is in the US.
    check({ Region: [{ prefix: "us-" }] }, [{ Region: "us-east-1" }], [{ Region: "eu-west-1" }, { Region: "US-EAST-1" }]);
  });

  // "Prefix matching while ignoring case": "the following event pattern would match any event
  // where the service field started with the character string EventB, but also EVENTB, eventb,
  // or" any other casing.
  it("ignores case when asked to", () => {
    const pattern = { service: [{ prefix: { "equals-ignore-case": "EventB" } }] };
    check(pattern, ["EventBridge", "EVENTB", "eventb", "EvEnTb rules"].map((service) => ({ service })), [
      { service: "Event" },
      { service: "SNS EventBridge" },
    ]);
  });
});

describe("docs: Comparison operators / Suffix matching", () => {
  // "the following event pattern would match any event where the "FileName" field ends with the
  // .png file extension."
  it("matches the end of a string value", () => {
    check({ FileName: [{ suffix: ".png" }] }, [{ FileName: "image.png" }], [
      { FileName: "image.PNG" },
      { FileName: "image.png.bak" },
    ]);
  });

  // "Suffix matching while ignoring case".
  it("ignores case when asked to", () => {
    check({ FileName: [{ suffix: { "equals-ignore-case": ".png" } }] }, [{ FileName: "image.PNG" }, { FileName: "a.pNg" }], [
      { FileName: "image.jpg" },
    ]);
  });
});

describe("docs: Comparison operators / Anything-but matching", () => {
  // "Anything-but matching matches anything except what's provided in the rule. You can use
  // anything-but matching with strings and numeric values, including lists that contain only
  // strings, or only numbers."
  it("excludes a string or a number", () => {
    check({ detail: { state: [{ "anything-but": "initializing" }] } }, [withDetail({ state: "pending" })], [
      withDetail({ state: "initializing" }),
    ]);
    check({ detail: { "x-limit": [{ "anything-but": 123 }] } }, [withDetail({ "x-limit": 789 })], [
      withDetail({ "x-limit": 123 }),
      withDetail({ "x-limit": 1.23e2 }),
    ]);
  });

  it("excludes a list of strings or of numbers", () => {
    check({ detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } }, [withDetail({ state: "pending" })], [
      withDetail({ state: "stopped" }),
      withDetail({ state: "overloaded" }),
    ]);
    check({ detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] } }, [withDetail({ "x-limit": 999 })], [
      withDetail({ "x-limit": 100 }),
      withDetail({ "x-limit": 300 }),
    ]);
  });

  // "anything-but matching that matches any event that doesn't have the prefix "init" in the
  // "state" field"; summary table: "Region is not in the US."
  it("excludes a prefix", () => {
    check({ detail: { state: [{ "anything-but": { prefix: "init" } }] } }, [withDetail({ state: "post-init" })], [
      withDetail({ state: "initializing" }),
    ]);
    check({ Region: [{ "anything-but": { prefix: "us-" } }] }, [{ Region: "eu-west-1" }], [{ Region: "us-east-1" }]);
  });

  // Summary table: "FileName does not end with a .png extension."
  it("excludes a suffix", () => {
    check({ FileName: [{ "anything-but": { suffix: ".png" } }] }, [{ FileName: "image.jpg" }], [{ FileName: "image.png" }]);
  });

  // Summary table: "State is any value besides "initializing" or any other casing variation,
  // such as "INITIALIZING"."
  it("excludes a string in any casing", () => {
    check({ state: [{ "anything-but": { "equals-ignore-case": "initializing" } }] }, [{ state: "pending" }], [
      { state: "INITIALIZING" },
      { state: "Initializing" },
    ]);
  });

  // Summary table: "FileName is not a file path that includes /lib/."
  it("excludes a wildcard", () => {
    check({ FilePath: [{ "anything-but": { wildcard: "*/lib/*" } }] }, [{ FilePath: "/usr/bin/tool" }], [
      { FilePath: "/usr/lib/libc.so" },
    ]);
  });

  // event-ruler README, "Anything-but matching": the prefix, suffix, ignore-case and wildcard
  // forms also take lists.
  it("takes lists in its prefix, suffix, ignore-case and wildcard forms", () => {
    const state = (s: string) => ({ detail: { state: s } });
    check({ detail: { state: [{ "anything-but": { prefix: ["init", "error"] } }] } }, [state("running")], [
      state("initializing"),
      state("error-2"),
    ]);
    check({ detail: { state: [{ "anything-but": { suffix: ["1234", "6789"] } }] } }, [state("i-0000")], [state("i-6789")]);
    check(
      { detail: { state: [{ "anything-but": { "equals-ignore-case": ["Stopped", "OverLoaded"] } }] } },
      [state("running")],
      [state("stopped"), state("OVERLOADED")],
    );
    check({ detail: { state: [{ "anything-but": { wildcard: ["*/bin/*.jar", "*/bin/*.class"] } }] } }, [state("/lib/x.jar")], [
      state("/opt/bin/app.class"),
    ]);
  });

  // TestEventPattern: anything-but needs the field, but takes any value that is not excluded,
  // null and values of the other type included.
  it("matches null and the other type, never a missing field", () => {
    const patterns: EventPattern[] = [
      { state: [{ "anything-but": "initializing" }] },
      { state: [{ "anything-but": ["stopped", "running"] }] },
      { state: [{ "anything-but": { prefix: "init" } }] },
      { state: [{ "anything-but": { suffix: ".txt" } }] },
      { state: [{ "anything-but": { "equals-ignore-case": "initializing" } }] },
      { state: [{ "anything-but": { wildcard: "*/dir/*" } }] },
    ];
    for (const pattern of patterns) check(pattern, [{ state: null }, { state: 12 }, { state: true }], [{}, { other: "x" }]);
    check({ n: [{ "anything-but": [100, 200] }] }, [{ n: "100" }, { n: null }], [{ n: 100 }]);
  });

  // SNS "Numeric value matching" (the same filter language): anything-but [100, 500] "matches
  // the following message body (because it contains a value that isn't 100 or 500)":
  // {"price": [100, 50]}. EventBridge flattens arrays the same way.
  it("matches an array holding any value not excluded", () => {
    check({ price: [{ "anything-but": [100, 500] }] }, [{ price: [100, 50] }, { price: 101 }], [{ price: [100, 500] }]);
  });
});

describe("docs: Comparison operators / Numeric matching", () => {
  // "The following shows numeric matching for an event pattern that only matches events that
  // are true for all fields."
  const pattern = {
    detail: {
      "c-count": [{ numeric: [">", 0, "<=", 5] }],
      "d-count": [{ numeric: ["<", 10] }],
      "x-limit": [{ numeric: ["=", 3.018e2] }],
    },
  } as const;

  it("matches numbers in ranges", () => {
    const yes = [
      withDetail({ "c-count": 3, "d-count": 9, "x-limit": 301.8 }),
      withDetail({ "c-count": 5, "d-count": -1, "x-limit": 3.018e2 }),
    ];
    check(pattern, yes, [
      withDetail({ "c-count": 42, "d-count": 9, "x-limit": 301.8 }),
      withDetail({ "c-count": 0, "d-count": 9, "x-limit": 301.8 }),
      withDetail({ "c-count": 3, "d-count": 10, "x-limit": 301.8 }),
      withDetail({ "c-count": 3, "d-count": 9, "x-limit": 301.9 }),
      withDetail({ "c-count": 3, "d-count": 9 }),
    ]);
  });

  // "Numeric matching works with values that are JSON numbers."
  it("only matches JSON numbers", () => {
    check({ number: [{ numeric: [">", 100] }] }, [{ number: 101.0 }, { number: [5, 500] }], [
      { number: "300" },
      { number: null },
      { number: true },
    ]);
  });

  it("honours open and closed bounds", () => {
    const at = (n: number) => ({ n });
    check({ n: [{ numeric: [">=", 200, "<", 500] }] }, [at(200), at(499.99)], [at(199.99), at(500)]);
    check({ n: [{ numeric: [">", 200, "<=", 500] }] }, [at(500), at(200.01)], [at(200), at(500.01)]);
    check({ n: [{ numeric: ["<=", 200] }] }, [at(200), at(-1e9)], [at(200.0001)]);
    check({ n: [{ numeric: [">=", -5] }] }, [at(-5), at(1e300)], [at(-5.000001)]);
  });
});

describe("docs: Comparison operators / IP address matching", () => {
  // "You can use IP address matching for IPv4 and IPv6 addresses." The old page describes
  // 10.0.0.0/24 as addresses "that start with 10.0.0 and end with a number between 0 and 24";
  // that is wrong for CIDR, and TestEventPattern matches 10.0.0.255 to it.
  it("matches IPv4 addresses in a CIDR block", () => {
    check({ detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } }, [
      withDetail({ sourceIPAddress: "10.0.0.0" }),
      withDetail({ sourceIPAddress: "10.0.0.24" }),
      withDetail({ sourceIPAddress: "10.0.0.255" }),
    ], [
      withDetail({ sourceIPAddress: "10.0.1.0" }),
      withDetail({ sourceIPAddress: "10.0.0.256" }),
      withDetail({ sourceIPAddress: 123 }),
      withDetail({ sourceIPAddress: "2001:db8::1" }),
    ]);
    // event-ruler README: "source-ip": [ { "cidr": "10.0.0.0/8" } ]
    check({ ip: [{ cidr: "10.0.0.0/8" }] }, [{ ip: "10.255.3.4" }], [{ ip: "11.0.0.1" }]);
    check({ ip: [{ cidr: "0.0.0.0/0" }] }, [{ ip: "203.0.113.9" }], [{ ip: "not an ip" }]);
  });

  it("matches IPv6 addresses, however they are written", () => {
    check({ ip: [{ cidr: "2001:db8:1234:1a00::/64" }] }, [
      { ip: "2001:0db8:1234:1a00:0000:0000:0000:0000" },
      { ip: "2001:db8:1234:1a00:ffff::1" },
    ], [{ ip: "2001:0db8:123f:1a01:0000:0000:0000:0000" }, { ip: "10.0.0.1" }]);
  });

  // event-ruler compiles an exact string that is an IP address to that address, so other
  // spellings of the same address match it.
  it("matches an exact IP address by address", () => {
    check({ ip: ["2001:db8::ff00:42:8329"] }, [{ ip: "2001:0db8:0000:0000:0000:ff00:0042:8329" }], [{ ip: "2001:db8::ff00:42:832a" }]);
    check({ ip: ["10.0.1.200"] }, [{ ip: "10.0.1.200" }], [{ ip: "10.0.1.201" }]);
  });
});

describe("docs: Comparison operators / Exists matching", () => {
  // "Exists matching only works on leaf nodes. It does not work on intermediate nodes." "The
  // following event pattern matches any event that does not have a detail.c-count field." "The
  // preceding event pattern also matches the following event because c-count isn't a leaf
  // node."
  it("exists: false matches a missing field, or one that is not a leaf", () => {
    check({ detail: { "c-count": [{ exists: false }] } }, [
      withDetail({ state: ["initializing", "running"] }),
      withDetail({ state: ["initializing", "running"], "c-count": { c1: 100 } }),
    ], [withDetail({ "c-count": 5 }), withDetail({ "c-count": null })]);
  });

  it("exists: true needs a value at that leaf", () => {
    check({ detail: { state: [{ exists: true }] } }, [withDetail({ state: "pending" }), withDetail({ state: null })], [
      withDetail({ "c-count": { c1: 100 } }),
      withDetail({ state: { s: "x" } }),
      withDetail({ state: [] }),
    ]);
    // TestEventPattern: an empty array is no value.
    check({ resources: [{ exists: true }] }, [], [{ resources: [] }]);
  });

  // TestEventPattern: with the parent missing, the leaf is missing too.
  it("exists: false matches when a parent is missing", () => {
    check({ detail: { level1: { "level2:": { level3: { level4: [{ exists: false }] } } } } }, [
      { detail: { level1: { level2: "l2 value" } } },
      {},
    ], [{ detail: { level1: { "level2:": { level3: { level4: "l4 value" } } } } }]);
  });

  // TestEventPattern: a field's alternatives may mix exists: false with other filters.
  it("combines exists: false with other alternatives", () => {
    const pattern = { dynamodb: { NewImage: { homemade: { S: [{ "anything-but": ["roses"] }, { exists: false }] } } } };
    check(pattern, [
      { dynamodb: { NewImage: { homemade: { S: "ABCD" } } } },
      { dynamodb: { NewImage: { homemade: { N: "789" } } } },
      { dynamodb: { NewImage: { purchased: { N: "789" } } } },
    ], [{ dynamodb: { NewImage: { homemade: { S: "roses" } } } }]);
  });
});

describe("docs: Comparison operators / Equals-ignore-case matching", () => {
  it("matches a string in any casing", () => {
    check({ "detail-type": [{ "equals-ignore-case": "ec2 instance state-change notification" }] }, [ec2Event], [
      { ...ec2Event, "detail-type": "EC2 Instance State-change" },
    ]);
    // event-ruler folds the pattern's characters (each also matches its lower and upper case),
    // not the event's: the Kelvin sign lower-cases to k, but k does not match it.
    check({ unit: [{ "equals-ignore-case": "é k" }] }, [{ unit: "É K" }], [{ unit: "é \u212A" }]);
    // TestEventPattern: the empty string matches only itself.
    check({ detail: { value: [{ "equals-ignore-case": "" }] } }, [{ detail: { value: "" } }], [{ detail: { value: "test-value" } }]);
  });
});

describe("docs: Comparison operators / Wildcard matching", () => {
  // The section's example, the EventBusArn of any account (as LocalStack recorded it against AWS).
  it("matches any run of characters at each star", () => {
    const arn = { EventBusArn: "arn:aws:events:us-east-1:123456789012:event-bus/myEventBus" };
    check({ EventBusArn: [{ wildcard: "arn:aws:events:us-east-1:*:event-bus/*" }] }, [arn], [
      { EventBusArn: "arn:aws:events:us-west-2:123456789012:event-bus/myEventBus" },
    ]);
    // AWS Compute Blog, "Filtering events in Amazon EventBridge with wildcard pattern matching":
    // "a filter string like "*.png" matches strings that end with ".png"", and "*Title*" matches
    // values that include "Title".
    check({ key: [{ wildcard: "*.png" }] }, [{ key: "a/b.png" }, { key: ".png" }], [{ key: "a.png.txt" }]);
    check({ key: [{ wildcard: "*Title*" }] }, [{ key: "Title" }, { key: "My Title Page" }], [{ key: "title" }]);
    // event-ruler README: "Simple*Service".
    check({ source: [{ wildcard: "Simple*Service" }] }, [{ source: "SimpleService" }, { source: "Simple Queue Service" }], [
      { source: "SimpleServices" },
    ]);
  });

  // TestEventPattern: "/Users/*/doc.txt" and repeating sequences after a star.
  it("finds the fixed parts after a star anywhere", () => {
    const file = "/Users/ls_user/dir/dir/dir/dir/dir/doc.txt";
    check({ FileName: [{ wildcard: "/Users/*/doc.txt" }] }, [{ FileName: file }], [{ FileName: file.replace("doc", "notmatchingdoc") }]);
    check({ FileName: [{ wildcard: "/Users/*/dir/dir/dir/dir/dir/doc.txt" }] }, [{ FileName: file }], [
      { FileName: "/Users/ls_user/dir/dir/dir/dir/otherdir/doc.txt" },
    ]);
    check({ k: [{ wildcard: "a*a" }] }, [{ k: "aa" }, { k: "aba" }], [{ k: "a" }]);
    // A middle part may not overlap the fixed end.
    check({ k: [{ wildcard: "a*b*b" }] }, [{ k: "abb" }, { k: "abxb" }], [{ k: "ab" }]);
  });

  // "The string \* represents the literal * character" and "the string \\ represents the
  // literal \ character". A star or a backslash without a wildcard is an exact string (TestEventPattern).
  it("escapes stars and backslashes", () => {
    check({ k: [{ wildcard: "2\\*3=*" }] }, [{ k: "2*3=6" }], [{ k: "2x3=6" }, { k: "23=6" }]);
    check({ k: [{ wildcard: "C:\\\\*" }] }, [{ k: "C:\\Windows" }], [{ k: "C:/Windows" }]);
    check({ detail: { escape_star: ["*"], escape_backslash: ["\\"] } }, [{ detail: { escape_star: "*", escape_backslash: "\\" } }], [
      { detail: { escape_star: "x", escape_backslash: "\\" } },
    ]);
  });

  it("only matches strings; the empty pattern only the empty string", () => {
    check({ k: [{ wildcard: "*" }] }, [{ k: "" }, { k: "anything" }], [{ k: 1 }, { k: null }, {}]);
    check({ k: [{ wildcard: "" }] }, [{ k: "" }], [{ k: "x" }]);
    check({ k: [{ "anything-but": { wildcard: "" } }] }, [{ k: "x" }], [{ k: "" }]);
  });
});

describe("docs: Comparison operators / Complex examples, with multiple matching and with $or", () => {
  it("combines filters with AND across fields", () => {
    const pattern = {
      time: [{ prefix: "2017-10-02" }],
      detail: {
        state: [{ "anything-but": "initializing" }],
        "c-count": [{ numeric: [">", 0, "<=", 5] }],
        "d-count": [{ numeric: ["<", 10] }],
        "x-limit": [{ "anything-but": [100, 200, 300] }],
      },
    } as const;
    const event = { time: "2017-10-02T16:24:49Z", detail: { state: "processing", "c-count": 3, "d-count": 9, "x-limit": 999 } };
    check(pattern, [event], [{ ...event, detail: { ...event.detail, "x-limit": 300 } }, { ...event, time: "2017-10-03" }]);
  });

  // The $or example: the event matches when any branch does.
  it("matches any $or branch", () => {
    const pattern = {
      detail: {
        $or: [
          { "c-count": [{ numeric: [">", 0, "<=", 5] }] },
          { "d-count": [{ numeric: ["<", 10] }] },
          { "x-limit": [{ numeric: ["=", 3.018e2] }] },
        ],
      },
    } as const;
    check(pattern, [
      { detail: { "c-count": 0, "d-count": 0, "x-limit": 9.018e2 } },
      { detail: { "x-limit": 301.8 } },
      { detail: { "c-count": 1 } },
    ], [{ detail: { "c-count": 0, "d-count": 10, "x-limit": 9.018e2 } }, { detail: {} }]);
  });

  // event-ruler README, "The "$or" Primitive": the effect of "source" && ("metricName" ||
  // "namespace"), parallel $or at two levels, and $or nested in an $or branch.
  it("combines $or with the other fields and with more $or, at any level", () => {
    check(
      { source: ["aws.cloudwatch"], $or: [{ metricName: ["CPUUtilization", "ReadLatency"] }, { namespace: ["AWS/EC2", "AWS/ES"] }] },
      [{ source: "aws.cloudwatch", metricName: "ReadLatency" }, { source: "aws.cloudwatch", namespace: "AWS/ES" }],
      [{ source: "aws.ec2", metricName: "ReadLatency" }, { source: "aws.cloudwatch", metricName: "Other" }],
    );
    const parallel: EventPattern = {
      $or: [{ metricName: ["CPUUtilization"] }, { namespace: ["AWS/EC2"] }],
      detail: { $or: [{ source: ["aws.cloudwatch"] }, { "detail-type": ["CloudWatch Alarm State Change"] }] },
    };
    check(parallel, [{ namespace: "AWS/EC2", detail: { "detail-type": "CloudWatch Alarm State Change" } }], [
      { namespace: "AWS/EC2", detail: { source: "aws.ec2" } },
      { detail: { source: "aws.cloudwatch" } },
    ]);
    const nested: EventPattern = {
      source: ["aws.cloudwatch"],
      $or: [
        { metricName: ["CPUUtilization", "ReadLatency"] },
        { metricType: ["MetricType"], namespace: ["AWS/EC2", "AWS/ES"], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
        { scope: ["Service"] },
      ],
    };
    check(nested, [
      { source: "aws.cloudwatch", scope: "Service" },
      { source: "aws.cloudwatch", metricType: "MetricType", namespace: "AWS/ES", spaceId: 1000 },
    ], [{ source: "aws.cloudwatch", metricType: "MetricType", namespace: "AWS/ES" }]);
  });
});

// ---------------------------------------------------------------------------------------------
// Arrays and field names, as event-ruler documents them
// ---------------------------------------------------------------------------------------------

describe("event-ruler README: JSON Array Matching", () => {
  const employees = {
    employees: [
      { firstName: "John", lastName: "Doe" },
      { firstName: "Anna", lastName: "Smith" },
      { firstName: "Peter", lastName: "Jones" },
    ],
  };

  // "the array structure is "crushed out" of the rule pattern, and any contained objects are
  // treated as if they are the value of the parent field. This works for multi-level arrays too."
  it("descends through arrays of objects, at any depth", () => {
    check({ employees: { firstName: ["Anna"] } }, [employees, { employees: [[employees.employees[0]], [employees.employees[1]]] }]);
    // TestEventPattern: one element having the field is enough for exists.
    check({ detail: { automations: { id: [{ exists: true }] } } }, [{ detail: { automations: [{ key1: "v" }, { id: "x" }] } }]);
  });

  // "rulesForJSONEvent() will refuse to recognize any match in which any two fields are within
  // JSON objects that are in different elements of the same array."
  it("never combines fields of different array elements", () => {
    check({ employees: { firstName: ["Anna"], lastName: ["Smith"] } }, [employees]);
    check({ employees: { firstName: ["Anna"], lastName: ["Jones"] } }, [], [employees]);
    const orders = {
      orders: [
        { id: 1, lines: [{ sku: "a", qty: 1 }, { sku: "b", qty: 5 }] },
        { id: 2, lines: [{ sku: "a", qty: 5 }] },
      ],
    };
    check({ orders: { id: [2], lines: { sku: ["a"], qty: [5] } } }, [orders]);
    check({ orders: { id: [1], lines: { sku: ["a"], qty: [5] } } }, [], [orders]);
    // A field absent from one element is absent there, whatever the others hold.
    check({ orders: { id: [2], lines: { qty: [{ exists: false }] } } }, [], [orders]);
    check({ orders: { id: [2], note: [{ exists: false }] } }, [orders]);
  });

  // "Caveat: Compiled rules and JSON keys with dots": dots join the path, so a dotted key and
  // nesting are the same field (TestEventPattern agrees, both ways).
  it("treats a dotted key like the nesting it spells", () => {
    check({ detail: { state: { status: ["running"] } } }, [{ detail: { "state.status": "running" } }], [
      { detail: { "state.status": { status: "running" } } },
    ]);
    check({ detail: { "state.status": ["running"] } }, [{ detail: { state: { status: "running" } } }]);
  });
});

describe("edge cases EventBridge decides (TestEventPattern)", () => {
  it("prefix and suffix of the empty string match every string", () => {
    check({ source: [{ prefix: "" }] }, [{ source: "test-source" }, { source: "" }], [{ source: 1 }, {}]);
    check({ source: [{ suffix: "" }] }, [{ source: "test-source" }], [{ source: null }]);
  });

  it("treats the event as the JSON it is sent as", () => {
    check({ at: [{ prefix: "2026-" }] }, [{ at: new Date("2026-03-01T10:00:00Z") }]);
    check({ gone: [{ exists: false }] }, [{ gone: undefined }]);
    for (const event of [null, "text", 42, [{ a: 1 }]]) expect(matches({ a: [{ exists: false }] }, event)).toBe(false);
  });

  it("keeps the later of two alternatives for one field path, as event-ruler does", () => {
    check({ source: ["a"], $or: [{ source: ["b"] }, { region: ["x"] }] }, [{ source: "b" }, { source: "a", region: "x" }], [
      { source: "a" },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

const NOT_ANYTHING_BUT_VALUE = "Value of anything-but must be an array or single string/number value.";
const NOT_IN_ANYTHING_BUT_LIST = "Inside anything but list, start|null|boolean is not supported.";
const NOT_IGNORE_CASE_STRING = "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.";
const NOT_AFFIX_STRING = "prefix/suffix match pattern must be a string";
const BAD_OR = "$or must be an array of at least 2 objects";

describe("validatePattern", () => {
  // The reasons are EventBridge's own (TestEventPattern's InvalidEventPatternException), except
  // where noted.
  it.each<[string, unknown, string]>([
    ["a pattern that is not an object", ["not", "a", "dict"], "Filter is not an object"],
    ["a string leaf", { string: "my-value" }, '"string" must be an object or an array'],
    ["a number leaf", { int: 42 }, '"int" must be an object or an array'],
    ["an empty array", { resources: [] }, "Empty arrays are not allowed"],
    ["an empty object", { detail: {} }, "Empty objects are not allowed"],
    ["an array in a value list", { a: [["x"]] }, "Match value must be String, number, true, false, or null"],
    ["an operator in capitals", { equal: [{ NUMERIC: ["=", 5] }] }, "Unrecognized match type NUMERIC"],
    ["EXISTS", { my_key: [{ EXISTS: true }] }, "Unrecognized match type EXISTS"],
    ["an unknown operator", { a: [{ contains: "x" }] }, "Unrecognized match type contains"],
    ["two operators in one filter", { a: [{ prefix: "a", suffix: "b" }] }, "Only one key allowed in match expression"],
    ["an empty filter", { a: [{}] }, "Match expression name not found"],
    ["a prefix number", { time: [{ prefix: 123 }] }, "prefix match pattern must be a string"],
    ["a prefix list", { time: [{ prefix: ["2022-07-13"] }] }, "prefix match pattern must be a string"],
    ["a suffix number", { FileName: [{ suffix: 123 }] }, "suffix match pattern must be a string"],
    ["a suffix list", { FileName: [{ suffix: [".png"] }] }, "suffix match pattern must be a string"],
    ["prefix with another nested operator", { a: [{ prefix: { wildcard: "x" } }] }, "Unsupported prefix pattern: wildcard"],
    ["an equals-ignore-case list", { t: [{ "equals-ignore-case": ["x"] }] }, "equals-ignore-case match pattern must be a string"],
    ["an equals-ignore-case object", { t: [{ "equals-ignore-case": { prefix: "ec2" } }] }, "equals-ignore-case match pattern must be a string"],
    ["a wildcard number", { k: [{ wildcard: 123 }] }, "wildcard match pattern must be a string"],
    ["a wildcard list", { k: [{ wildcard: ["a*"] }] }, "wildcard match pattern must be a string"],
    ["consecutive stars", { k: [{ wildcard: "arn:aws:events:us-east-1:**:event-bus/*" }] }, "Consecutive wildcard characters at pos 25"],
    ["a bad escape (event-ruler)", { k: [{ wildcard: "a\\b" }] }, "Invalid escape character at pos 1"],
    ["a trailing backslash (event-ruler)", { k: [{ wildcard: "a\\" }] }, "Invalid escape character at pos 1"],
    ["numeric without a list", { c: [{ numeric: 10 }] }, "Value of numeric must be an array."],
    ["numeric with two lower bounds", { c: [{ numeric: [">", 0, ">", 0] }] }, "Bad numeric range operator: >"],
    ["numeric missing its top", { c: [{ numeric: [">", 0, "<"] }] }, "Value of < must be numeric"],
    ["numeric with an empty range (event-ruler)", { c: [{ numeric: [">=", 5, "<=", 5] }] }, "Bottom must be less than top"],
    ["numeric upside down (event-ruler)", { c: [{ numeric: [">", 10, "<", 1] }] }, "Bottom must be less than top"],
    ["numeric upper bound first (event-ruler)", { c: [{ numeric: ["<", 10, ">", 0] }] }, "Too many elements in numeric expression"],
    ["numeric = with more (event-ruler)", { c: [{ numeric: ["=", 1, "<", 2] }] }, "Too many elements in numeric expression"],
    ["numeric with a string value (event-ruler)", { c: [{ numeric: ["<", "10"] }] }, "Value of < must be numeric"],
    ["numeric with an unknown operator (event-ruler)", { c: [{ numeric: ["!=", 1] }] }, "Unrecognized numeric range operator: !="],
    ["an empty numeric list (event-ruler)", { c: [{ numeric: [] }] }, "Invalid member in numeric match"],
    ["exists with a string (event-ruler)", { c: [{ exists: "true" }] }, "exists match pattern must be either true or false."],
    ["anything-but null", { s: [{ "anything-but": null }] }, NOT_ANYTHING_BUT_VALUE],
    ["anything-but with null in its list", { s: [{ "anything-but": ["stopped", null] }] }, NOT_IN_ANYTHING_BUT_LIST],
    ["anything-but of mixed types (event-ruler)", { s: [{ "anything-but": ["a", 1] }] }, "either all values are number or string"],
    ["an empty anything-but list (event-ruler)", { s: [{ "anything-but": [] }] }, "either all values are number or string"],
    ["anything-but prefix number", { s: [{ "anything-but": { prefix: 123 } }] }, NOT_AFFIX_STRING],
    ["anything-but prefix list with a number", { s: [{ "anything-but": { prefix: [123, "t"] } }] }, NOT_AFFIX_STRING],
    ["anything-but suffix with null", { s: [{ "anything-but": { suffix: [null, ".txt"] } }] }, NOT_AFFIX_STRING],
    ["anything-but empty prefix", { s: [{ "anything-but": { prefix: "" } }] }, "Null prefix/suffix not allowed"],
    ["anything-but empty suffix", { s: [{ "anything-but": { suffix: "" } }] }, "Null prefix/suffix not allowed"],
    ["anything-but prefix ignoring case", { s: [{ "anything-but": { prefix: { "equals-ignore-case": "f" } } }] }, NOT_ANYTHING_BUT_VALUE],
    ["anything-but ignore-case number", { s: [{ "anything-but": { "equals-ignore-case": 123 } }] }, NOT_IGNORE_CASE_STRING],
    ["anything-but wildcard number", { s: [{ "anything-but": { wildcard: 123 } }] }, "wildcard match pattern must be a string"],
    ["anything-but wildcard with a double star (event-ruler)", { s: [{ "anything-but": { wildcard: ["a**"] } }] }, "Consecutive wildcard"],
    ["anything-but of something else (event-ruler)", { s: [{ "anything-but": { exists: true } }] }, "Unsupported anything-but pattern: exists"],
    ["a CIDR without a mask", { ip: [{ cidr: "bad-filter" }] }, "Malformed CIDR, one '/' required"],
    ["a CIDR with a bad mask", { ip: [{ cidr: "bad-/64filter" }] }, "Malformed CIDR, mask bits must be an integer"],
    ["a CIDR with a bad IPv4 address", { ip: [{ cidr: "xx.11.xx/8" }] }, "Nonstandard IP address: xx.11.xx"],
    ["a CIDR with a bad IPv6 address", { ip: [{ cidr: "xxxx:db8:1234:1a00::/64" }] }, "Nonstandard IP address: xxxx:db8:1234:1a00::"],
    ["a CIDR with an octet over 255 (event-ruler)", { ip: [{ cidr: "10.0.0.256/24" }] }, "Nonstandard IP address: 10.0.0.256"],
    ["an IPv4 /32 (event-ruler)", { ip: [{ cidr: "10.0.0.1/32" }] }, "IPv4 mask bits must be < 32"],
    ["an IPv6 /128 (event-ruler)", { ip: [{ cidr: "::1/128" }] }, "IPv6 mask bits must be < 128"],
    ["a CIDR list (our wording)", { ip: [{ cidr: ["bad-type"] }] }, "cidr match pattern must be a string"],
    // event-ruler would fall back to reading a field named "$or": surely a mistake, so we refuse.
    ["$or that is not a list (ours)", { $or: { a: ["x"] } }, BAD_OR],
    ["$or with one branch (event-ruler)", { $or: [{ a: ["x"] }] }, BAD_OR],
    ["$or with a non-object (event-ruler)", { $or: [{ a: ["x"] }, ["b"]] }, BAD_OR],
    ["$or with an empty branch (event-ruler)", { $or: [{ a: ["x"] }, {}] }, "Empty objects are not allowed"],
    ["an operator name as a field in $or (event-ruler)", { $or: [{ numeric: [123] }, { prefix: ["abc"] }] }, "numeric is a reserved word"],
  ])("rejects %s", (_, pattern, reason) => {
    const errors = validatePattern(pattern);
    expect(errors.join("\n")).toContain(reason);
    expect(() => matches(pattern as EventPattern, {})).toThrow(TypeError);
  });

  it("names the field at fault, and reports every problem", () => {
    expect(validatePattern({ detail: { state: "x", count: [{ numeric: [">", 1, ">", 2] }] }, source: [] })).toEqual([
      'detail.state: "state" must be an object or an array',
      "detail.count: Bad numeric range operator: >",
      "source: Empty arrays are not allowed",
    ]);
  });

  it("accepts every documented form", () => {
    const patterns: EventPattern[] = [
      { source: ["aws.ec2", "aws.fargate"], detail: { state: ["terminated", null, true, 3.5, ""] } },
      { time: [{ prefix: "2017-10-02" }], s: [{ prefix: { "equals-ignore-case": "EventB" } }] },
      { f: [{ suffix: ".png" }, { suffix: { "equals-ignore-case": ".PNG" } }] },
      { f: [{ "equals-ignore-case": "x" }, { wildcard: "dir/*.png" }, { wildcard: "\\*\\\\" }] },
      { f: [{ "anything-but": "a" }, { "anything-but": 1 }, { "anything-but": ["a", "b"] }, { "anything-but": [1, 2] }] },
      { f: [{ "anything-but": { prefix: "a" } }, { "anything-but": { suffix: ["a", "b"] } }] },
      { f: [{ "anything-but": { "equals-ignore-case": ["a"] } }, { "anything-but": { wildcard: "*/lib/*" } }] },
      { f: [{ numeric: ["=", 3.018e2] }, { numeric: [">", 0, "<=", 5] }, { numeric: [">=", -1, "<", 1] }, { numeric: ["<", 10] }] },
      { f: [{ exists: true }, { exists: false }], ip: [{ cidr: "10.0.0.0/24" }, { cidr: "2001:db8:1234:1a00::/64" }] },
      { detail: { $or: [{ a: ["x"] }, { b: { c: [1] } }] }, $or: [{ d: ["y"] }, { e: ["z"], $or: [{ f: [1] }, { g: [2] }] }] },
      // Operator names are ordinary field names outside $or.
      { prefix: ["x"], detail: { numeric: [1] } },
    ];
    for (const pattern of patterns) expect(validatePattern(pattern), JSON.stringify(pattern)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const key = fc.stringMatching(/^[a-z]{1,3}$/);
const text = fc.string({ maxLength: 8 });
const scalar = fc.oneof(text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** Nested objects with scalar leaves and arrays of scalars. */
const { object: eventObject } = fc.letrec<{ object: Record<string, Json> }>((tie) => ({
  object: fc.dictionary(key, fc.oneof({ depthSize: "small" }, scalar, fc.array(scalar, { maxLength: 3 }), tie("object")), {
    maxKeys: 4,
  }),
}));

type LeafAt = { path: string[]; value: string | number | boolean | null };

function leavesOf(value: Json, path: string[] = []): LeafAt[] {
  if (Array.isArray(value)) return value.flatMap((v) => leavesOf(v, path));
  if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => leavesOf(v, [...path, k]));
  return [{ path, value }];
}

function setPath(pattern: Record<string, unknown>, path: string[], filter: unknown[]): void {
  let node = pattern;
  path.slice(0, -1).forEach((k) => (node = (node[k] ??= {}) as Record<string, unknown>));
  node[path[path.length - 1]!] = filter;
}

const escapeWildcard = (s: string) => s.replace(/[\\*]/g, "\\$&");
const swapCase = (s: string) => [...s].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join("");

/** One of the filters that a leaf's own value satisfies, picked by `pick`. */
function filterFor(value: LeafAt["value"], pick: number, cut: number): unknown {
  const common = [value, { exists: true }];
  if (typeof value === "string") {
    const at = cut % (value.length + 1);
    return [
      ...common,
      { prefix: value.slice(0, at) },
      { suffix: value.slice(at) },
      { "equals-ignore-case": swapCase(value) },
      { prefix: { "equals-ignore-case": swapCase(value.slice(0, at)) } },
      { wildcard: `${escapeWildcard(value.slice(0, at))}*${escapeWildcard(value.slice(at + (cut % 3)))}` },
      { "anything-but": `${value}x` },
    ][pick % 8];
  }
  if (typeof value === "number") {
    const n = Object.is(value, -0) ? 0 : value;
    const numeric = [{ numeric: ["=", n] }, { numeric: [">=", n] }, { numeric: ["<=", n] }];
    return [...common, ...numeric, { "anything-but": n === 0 ? 1 : -n }][pick % 6];
  }
  return common[pick % 2];
}

describe("properties", () => {
  it("a pattern built from an event's own leaves (with filters they satisfy) matches it", () => {
    const eventAndPattern = eventObject
      .filter((event) => leavesOf(event).length > 0)
      .chain((event) =>
        fc.tuple(
          fc.constant(event),
          fc.subarray(leavesOf(event), { minLength: 1 }),
          fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 32, maxLength: 32 }),
        ),
      );
    fc.assert(
      fc.property(eventAndPattern, ([event, chosen, picks]) => {
        const pattern: Record<string, unknown> = {};
        chosen.forEach((leaf, i) => {
          const [pick, cut] = picks[i % picks.length]!;
          setPath(pattern, leaf.path, [filterFor(leaf.value, pick, cut)]);
        });
        expect(validatePattern(pattern)).toEqual([]);
        expect(matches(pattern as EventPattern, event)).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("anything-but [v] never matches v, and matches every other single value", () => {
    const value = fc.oneof(text, fc.double({ noNaN: true, noDefaultInfinity: true }));
    fc.assert(
      fc.property(value, fc.oneof(value, fc.boolean(), fc.constant(null)), (v, other) => {
        const pattern = { f: [{ "anything-but": [v] }] } as EventPattern;
        expect(matches(pattern, { f: v })).toBe(false);
        expect(matches(pattern, { f: [v, v] })).toBe(false);
        expect(matches(pattern, { f: other })).toBe(other !== v);
        expect(matches(pattern, {})).toBe(false);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("anything-but of prefix, suffix, equals-ignore-case or wildcard is their negation on strings", () => {
    const kind = fc.constantFrom("prefix", "suffix", "equals-ignore-case", "wildcard");
    const small = fc.string({ unit: fc.constantFrom("a", "B", "b", "*"), maxLength: 6 });
    fc.assert(
      fc.property(kind, small, small, (k, operand, s) => {
        const arg = k === "wildcard" ? operand.replace(/\*+/g, "*") : operand.replace(/\*/g, "");
        fc.pre(arg !== "" || k === "equals-ignore-case" || k === "wildcard");
        const plain = { f: [{ [k]: arg }] } as unknown as EventPattern;
        const but = { f: [{ "anything-but": { [k]: arg } }] } as unknown as EventPattern;
        expect(matches(but, { f: s })).toBe(!matches(plain, { f: s }));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("wildcards agree with a regular expression", () => {
    const small = fc.string({ unit: fc.constantFrom("a", "b", "*"), maxLength: 8 });
    fc.assert(
      fc.property(small, fc.string({ unit: fc.constantFrom("a", "b"), maxLength: 8 }), (raw, s) => {
        const wildcard = raw.replace(/\*+/g, "*");
        const regex = new RegExp(`^${wildcard.replace(/\*/g, ".*")}$`);
        expect(matches({ f: [{ wildcard }] }, { f: s })).toBe(regex.test(s));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("numeric ranges agree with arithmetic", () => {
    const n = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }));
    fc.assert(
      fc.property(n, n, fc.boolean(), fc.boolean(), n, (a, b, incLow, incHigh, v) => {
        fc.pre(a < b);
        const pattern = { f: [{ numeric: [incLow ? ">=" : ">", a, incHigh ? "<=" : "<", b] }] } as EventPattern;
        const inside = (incLow ? v >= a : v > a) && (incHigh ? v <= b : v < b);
        expect(matches(pattern, { f: v })).toBe(inside);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("IPv4 CIDR blocks agree with 32-bit arithmetic", () => {
    const ip = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 });
    const toInt = (b: number[]) => b.reduce((acc, x) => acc * 256 + x, 0);
    fc.assert(
      fc.property(ip, fc.integer({ min: 0, max: 31 }), ip, fc.nat(), (base, bits, addr, flip) => {
        // Half the time, an address inside the block.
        const candidate = flip % 2 === 0 ? addr : base.map((b, i) => (i < Math.floor(bits / 8) ? b : addr[i]!));
        const block = 2 ** (32 - bits);
        const inside = Math.floor(toInt(candidate) / block) === Math.floor(toInt(base) / block);
        expect(matches({ f: [{ cidr: `${base.join(".")}/${bits}` }] }, { f: candidate.join(".") })).toBe(inside);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("$or matches exactly when one of its branches does", () => {
    const field = fc.constantFrom("a", "b", "c");
    const small = fc.integer({ min: 0, max: 2 });
    const alternatives = fc.array(fc.oneof(small, fc.constant({ exists: false })), { minLength: 1, maxLength: 2 });
    const branch = fc.dictionary(field, alternatives, { minKeys: 1 }) as fc.Arbitrary<EventPattern>;
    const event = fc.dictionary(field, fc.oneof(small, fc.array(small, { maxLength: 2 })));
    fc.assert(
      fc.property(branch, branch, event, (p, q, e) => {
        expect(matches({ $or: [p, q] }, e)).toBe(matches(p, e) || matches(q, e));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("any JSON either validates and matches without throwing, or is rejected with reasons", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 3 }), (pattern, event) => {
        const errors = validatePattern(pattern);
        if (errors.length === 0) expect(typeof matches(pattern as EventPattern, event)).toBe("boolean");
        else expect(() => matches(pattern as EventPattern, event)).toThrow(TypeError);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
