// Where a Lambda event came from (src/lambda/event-sources/): every event shape AWS documents, written
// here from AWS's documentation, with the producer context where each source carries it; the one
// conflict rule as a table; malformed events never throw and never give an invalid parent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { trace, isSpanContextValid } from '@opentelemetry/api';
import { readEventTrace } from '../../../dist/lambda/event-sources/index.js';

const T = '6a1b2c3d4e5f60718293a4b5c6d7e8f9';
const S = '1111111111111111';
const DD_T = '00000000000000007293a4b5c6d7e8f9'; // a 64-bit Datadog id, upper bits unset
const traceparent = (flags = '01', t = T, s = S) => `00-${t}-${s}-${flags}`;
const xray = (sampled, t = 'aaaaaaaabbbbbbbbbbbbbbbbbbbbbbbb', parent = '2222222222222222') => `Root=1-${t.slice(0, 8)}-${t.slice(8)};Parent=${parent};Sampled=${sampled}`;
const datadog = (priority = '1') => ({
  'x-datadog-trace-id': BigInt(`0x${DD_T.slice(16)}`).toString(),
  'x-datadog-parent-id': BigInt('0x3333333333333333').toString(),
  'x-datadog-sampling-priority': priority,
});
const b64 = (text) => Buffer.from(text).toString('base64');

const parentOf = (result) => {
  const sc = result.upstream && trace.getSpanContext(result.upstream);
  return sc && isSpanContextValid(sc) ? `${sc.traceId}/${sc.spanId}/${sc.traceFlags}` : undefined;
};
const W3C_PARENT = `${T}/${S}/1`;
const DD_PARENT = `${DD_T}/3333333333333333/1`;
const XRAY_PARENT = 'aaaaaaaabbbbbbbbbbbbbbbbbbbbbbbb/2222222222222222/1';

// --- shapes -------------------------------------------------------------------------------------

const apiGatewayRest = (headers, extra = {}) => ({
  resource: '/users/{id}',
  path: '/users/7',
  httpMethod: 'GET',
  headers,
  multiValueHeaders: Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, [v]])),
  requestContext: {
    requestId: 'req-1',
    requestTimeEpoch: 1_700_000_000_000,
    stage: 'prod',
    domainName: 'api.example.com',
    resourcePath: '/users/{id}',
    httpMethod: 'GET',
    ...extra,
  },
  body: null,
  isBase64Encoded: false,
});
const httpApi = (headers, requestContext = {}) => ({
  version: '2.0',
  routeKey: 'GET /users/{id}',
  rawPath: '/users/7',
  rawQueryString: '',
  headers,
  requestContext: {
    requestId: 'req-2',
    domainName: 'abc.execute-api.us-east-1.amazonaws.com',
    http: { method: 'GET', path: '/users/7' },
    timeEpoch: 1_700_000_000_000,
    ...requestContext,
  },
  isBase64Encoded: false,
});
const functionUrl = (headers) => ({
  ...httpApi(headers),
  routeKey: '$default',
  requestContext: { requestId: 'req-3', domainName: 'xyz.lambda-url.us-east-1.on.aws', http: { method: 'POST', path: '/' }, timeEpoch: 1 },
});
const webSocket = (headers) => ({
  headers,
  multiValueHeaders: headers && Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
  requestContext: {
    routeKey: '$connect',
    eventType: 'CONNECT',
    connectionId: 'L0SM9cOFvHcCIhw=',
    domainName: 'ws.example.com',
    requestTimeEpoch: 1,
    stage: 'prod',
    requestId: 'r',
  },
  isBase64Encoded: false,
});
const albSingle = (headers) => ({
  requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/6d0ecf831eec9f09' } },
  httpMethod: 'GET',
  path: '/',
  queryStringParameters: {},
  headers,
  body: '',
  isBase64Encoded: false,
});
const albMulti = (headers) => ({
  requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/6d0ecf831eec9f09' } },
  httpMethod: 'GET',
  path: '/',
  multiValueQueryStringParameters: {},
  multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v, 'second-value']])),
  body: '',
  isBase64Encoded: false,
});
const appSync = (headers) => ({
  arguments: { id: '7' },
  identity: null,
  source: null,
  request: { headers, domainName: null },
  prev: null,
  info: { fieldName: 'getUser', parentTypeName: 'Query', variables: {}, selectionSetList: ['id'], selectionSetGraphQL: '{ id }' },
  stash: {},
});

const sqsRecord = ({ attributes = {}, messageAttributes = {}, body = 'hello', id = 'm-1' } = {}) => ({
  messageId: id,
  receiptHandle: 'AQEB',
  body,
  attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1700000000000', SenderId: 'AIDA', ApproximateFirstReceiveTimestamp: '1700000000001', ...attributes },
  messageAttributes,
  md5OfBody: 'x',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:orders',
  awsRegion: 'us-east-1',
});
const sqsString = (value) => ({ stringValue: value, stringListValues: [], binaryListValues: [], dataType: 'String' });
const sqsBinary = (value) => ({ binaryValue: b64(value), stringListValues: [], binaryListValues: [], dataType: 'Binary' });
const snsNotification = (attributes, message = 'hi') =>
  JSON.stringify({
    Type: 'Notification',
    MessageId: 'sns-1',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:events',
    Message: message,
    Timestamp: '2026-11-29T12:00:00.000Z',
    MessageAttributes: attributes,
  });
const eventBridgeEvent = (detail, extra = {}) => ({
  version: '0',
  id: 'eb-1',
  'detail-type': 'OrderPlaced',
  source: 'shop.orders',
  account: '123456789012',
  time: '2026-11-29T12:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail,
  ...extra,
});
const snsRecord = (messageAttributes, message = 'hi') => ({
  EventSource: 'aws:sns',
  EventVersion: '1.0',
  EventSubscriptionArn: 'arn:aws:sns:us-east-1:123456789012:events:sub',
  Sns: {
    Type: 'Notification',
    MessageId: 'sns-1',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:events',
    Subject: null,
    Message: message,
    Timestamp: '2026-11-29T12:00:00.000Z',
    MessageAttributes: messageAttributes,
  },
});
const kinesisRecord = (data, seq = '4959') => ({
  kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'p', sequenceNumber: seq, data: b64(data), approximateArrivalTimestamp: 1_700_000_000.5 },
  eventSource: 'aws:kinesis',
  eventVersion: '1.0',
  eventID: 'shardId-000:4959',
  eventName: 'aws:kinesis:record',
  eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/clicks',
  awsRegion: 'us-east-1',
});
const authorizerData = (extra = {}) => b64(JSON.stringify({ ...datadog('2'), 'x-datadog-authorizing-requestid': 'req-1', ...extra }));

const rows = [
  // HTTP
  ['API Gateway REST: traceparent', apiGatewayRest({ Traceparent: traceparent() }), { trigger: 'http', parent: W3C_PARENT }],
  ['API Gateway REST: Datadog headers', apiGatewayRest(datadog()), { trigger: 'http', parent: DD_PARENT }],
  ['API Gateway REST: X-Ray header minted by API Gateway, sampled', apiGatewayRest({ 'X-Amzn-Trace-Id': xray(1) }), { trigger: 'http', parent: XRAY_PARENT }],
  ['API Gateway REST: X-Ray header, not sampled: no parent', apiGatewayRest({ 'X-Amzn-Trace-Id': xray(0) }), { trigger: 'http', parent: undefined }],
  [
    'API Gateway REST: traceparent wins over Datadog headers and X-Ray',
    apiGatewayRest({ traceparent: traceparent(), ...datadog(), 'x-amzn-trace-id': xray(1) }),
    { trigger: 'http', parent: W3C_PARENT },
  ],
  [
    'API Gateway REST: a traced authorizer ran for this request',
    apiGatewayRest({ traceparent: traceparent() }, { authorizer: { _datadog: authorizerData(), principalId: 'u', integrationLatency: 0 } }),
    { trigger: 'http', parent: `${DD_T}/3333333333333333/1` },
  ],
  [
    'API Gateway REST: a cached authorizer answer (another request) is ignored',
    apiGatewayRest({ traceparent: traceparent() }, { authorizer: { _datadog: authorizerData({ 'x-datadog-authorizing-requestid': 'older' }), integrationLatency: 0 } }),
    { trigger: 'http', parent: W3C_PARENT },
  ],
  ['HTTP API: traceparent', httpApi({ traceparent: traceparent() }), { trigger: 'http', parent: W3C_PARENT }],
  [
    'HTTP API: authorizer context under lambda',
    httpApi({ traceparent: traceparent() }, { authorizer: { lambda: { _datadog: authorizerData() }, integrationLatency: 12 } }),
    { trigger: 'http', parent: `${DD_T}/3333333333333333/1` },
  ],
  ['function URL: traceparent', functionUrl({ traceparent: traceparent() }), { trigger: 'http', parent: W3C_PARENT }],
  ['WebSocket $connect: Datadog headers', webSocket(datadog()), { trigger: 'http', parent: DD_PARENT }],
  ['WebSocket message: no headers', { ...webSocket(undefined), body: '{}' }, { trigger: 'http', parent: undefined }],
  ['ALB: single-value headers', albSingle({ traceparent: traceparent() }), { trigger: 'http', parent: W3C_PARENT }],
  ['ALB with multi-value headers: the first value', albMulti({ traceparent: traceparent(), 'x-datadog-trace-id': '1' }), { trigger: 'http', parent: W3C_PARENT }],
  ['ALB with multi-value headers: Datadog only', albMulti(datadog()), { trigger: 'http', parent: DD_PARENT }],
  ['AppSync resolver: request headers', appSync({ traceparent: traceparent() }), { trigger: 'http', parent: W3C_PARENT }],
  // SQS
  [
    'SQS: _datadog String attribute',
    { Records: [sqsRecord({ messageAttributes: { _datadog: sqsString(JSON.stringify(datadog())) } })] },
    { trigger: 'pubsub', parent: DD_PARENT, consumer: 'orders process', links: 1 },
  ],
  [
    'SQS: _datadog Binary attribute',
    { Records: [sqsRecord({ messageAttributes: { _datadog: sqsBinary(JSON.stringify(datadog())) } })] },
    { trigger: 'pubsub', parent: DD_PARENT, links: 1 },
  ],
  [
    'SQS: traceparent attribute (our producer)',
    { Records: [sqsRecord({ messageAttributes: { traceparent: sqsString(traceparent()) } })] },
    { trigger: 'pubsub', parent: W3C_PARENT, links: 1 },
  ],
  ['SQS: only AWSTraceHeader, sampled', { Records: [sqsRecord({ attributes: { AWSTraceHeader: xray(1) } })] }, { trigger: 'pubsub', parent: XRAY_PARENT, links: 1 }],
  ['SQS: only AWSTraceHeader, not sampled: nothing', { Records: [sqsRecord({ attributes: { AWSTraceHeader: xray(0) } })] }, { trigger: 'pubsub', parent: undefined, links: 0 }],
  [
    'SNS -> SQS (envelope in the body)',
    { Records: [sqsRecord({ body: snsNotification({ _datadog: { Type: 'String', Value: JSON.stringify(datadog()) } }) })] },
    { trigger: 'pubsub', parent: DD_PARENT, links: 1 },
  ],
  [
    'SNS -> SQS, raw delivery (SNS attributes become SQS attributes)',
    { Records: [sqsRecord({ messageAttributes: { _datadog: sqsBinary(JSON.stringify(datadog())) } })] },
    { trigger: 'pubsub', parent: DD_PARENT },
  ],
  [
    'EventBridge -> SQS (envelope in the body)',
    { Records: [sqsRecord({ body: JSON.stringify(eventBridgeEvent({ order: 7, _datadog: datadog() })), attributes: { AWSTraceHeader: xray(0) } })] },
    { trigger: 'pubsub', parent: DD_PARENT, links: 1 },
  ],
  [
    'EventBridge -> SNS -> SQS',
    { Records: [sqsRecord({ body: snsNotification({}, JSON.stringify(eventBridgeEvent({ _datadog: datadog() }))) })] },
    { trigger: 'pubsub', parent: DD_PARENT },
  ],
  [
    'SQS batch: one link per record with a context, no parent',
    {
      Records: [
        sqsRecord({ messageAttributes: { traceparent: sqsString(traceparent()) } }),
        sqsRecord({ id: 'm-2' }),
        sqsRecord({ id: 'm-3', messageAttributes: { _datadog: sqsString(JSON.stringify(datadog())) } }),
      ],
    },
    { trigger: 'pubsub', parent: undefined, links: 2, consumer: 'orders process' },
  ],
  // SNS
  [
    'SNS: _datadog String',
    { Records: [snsRecord({ _datadog: { Type: 'String', Value: JSON.stringify(datadog()) } })] },
    { trigger: 'pubsub', parent: DD_PARENT, consumer: 'events process', links: 1 },
  ],
  ['SNS: _datadog Binary', { Records: [snsRecord({ _datadog: { Type: 'Binary', Value: b64(JSON.stringify(datadog())) } })] }, { trigger: 'pubsub', parent: DD_PARENT }],
  ['EventBridge -> SNS', { Records: [snsRecord({}, JSON.stringify(eventBridgeEvent({ _datadog: datadog() })))] }, { trigger: 'pubsub', parent: DD_PARENT }],
  // Kinesis
  [
    'Kinesis: _datadog in JSON data',
    { Records: [kinesisRecord(JSON.stringify({ click: 1, _datadog: datadog() }))] },
    { trigger: 'datasource', parent: DD_PARENT, consumer: 'clicks process', links: 1 },
  ],
  ['Kinesis: data that is not JSON', { Records: [kinesisRecord('plain bytes')] }, { trigger: 'datasource', parent: undefined, links: 0 }],
  // EventBridge
  ['EventBridge: detail._datadog', eventBridgeEvent({ _datadog: datadog() }), { trigger: 'pubsub', parent: DD_PARENT, consumer: 'shop.orders process', links: 1 }],
  ['EventBridge: detail.traceparent', eventBridgeEvent({ traceparent: traceparent() }), { trigger: 'pubsub', parent: W3C_PARENT }],
  ['EventBridge: scheduled event', eventBridgeEvent({}, { source: 'aws.events', 'detail-type': 'Scheduled Event' }), { trigger: 'timer', parent: undefined }],
  // Other sources
  [
    'S3 notification',
    { Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: 'us-east-1', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key: 'k' } } }] },
    { trigger: 'datasource', parent: undefined },
  ],
  [
    'DynamoDB stream',
    {
      Records: [
        { eventID: '1', eventName: 'INSERT', eventSource: 'aws:dynamodb', dynamodb: { Keys: {} }, eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026' },
      ],
    },
    { trigger: 'datasource', parent: undefined },
  ],
  ['anything else', { hello: 'world' }, { trigger: 'other', parent: undefined }],
];

for (const [name, event, expected] of rows) {
  test(`event source: ${name}`, () => {
    const result = readEventTrace(event, undefined, 128);
    assert.equal(result.trigger, expected.trigger);
    assert.equal(parentOf(result), expected.parent);
    if (expected.links !== undefined) assert.equal(result.links.length, expected.links);
    if (expected.consumer !== undefined) assert.equal(result.consumer?.name, expected.consumer);
  });
}

test('direct invoke: the client context parents when the event carries no context (_datadog object, JSON text, flat keys)', () => {
  assert.equal(parentOf(readEventTrace({ order: 1 }, { custom: { _datadog: datadog() } }, 128)), DD_PARENT);
  assert.equal(parentOf(readEventTrace({ order: 1 }, { custom: { _datadog: JSON.stringify(datadog()) } }, 128)), DD_PARENT);
  assert.equal(parentOf(readEventTrace({ order: 1 }, { custom: { traceparent: traceparent() } }, 128)), W3C_PARENT);
  assert.equal(readEventTrace({ order: 1 }, { custom: { traceparent: traceparent() } }, 128).links.length, 1);
  assert.equal(
    parentOf(readEventTrace(apiGatewayRest({ traceparent: traceparent('01', T, '4444444444444444') }), { custom: datadog() }, 128)),
    `${T}/4444444444444444/1`,
    "the event's own context wins",
  );
});

test('Step Functions: the ids Datadog derives from the execution, or the caller of the execution', () => {
  const execution = 'arn:aws:states:us-east-1:123456789012:execution:checkout:6f1c';
  const sfnContext = {
    Execution: { Id: execution, Name: '6f1c', StartTime: '2026-11-29T12:00:00.000Z', RoleArn: 'arn:aws:iam::123456789012:role/sfn', RedriveCount: 0 },
    State: { Name: 'Charge', EnteredTime: '2026-11-29T12:00:01.000Z', RetryCount: 0 },
    StateMachine: { Id: 'arn:aws:states:us-east-1:123456789012:stateMachine:checkout', Name: 'checkout' },
  };
  const hex = (input, from) => {
    const bytes = createHash('sha256')
      .update(input)
      .digest()
      .subarray(from, from + 8);
    bytes[0] &= 0x7f;
    return bytes.toString('hex');
  };
  const expectedTrace = hex(execution, 0) + hex(execution, 8);
  const expectedParent = hex(`${execution}#Charge#2026-11-29T12:00:01.000Z`, 0);
  for (const event of [
    { _datadog: sfnContext, order: 7 },
    { ...sfnContext, order: 7 },
  ]) {
    const result = readEventTrace(event, undefined, 128);
    assert.equal(parentOf(result), `${expectedTrace}/${expectedParent}/1`);
  }
  const retried = readEventTrace({ _datadog: { ...sfnContext, State: { ...sfnContext.State, RetryCount: 2 } } }, undefined, 128);
  assert.equal(parentOf(retried), `${expectedTrace}/${hex(`${execution}#Charge#2026-11-29T12:00:01.000Z#2#0`, 0)}/1`);
  const merged = readEventTrace({ _datadog: { ...sfnContext, 'x-datadog-trace-id': '12345', 'x-datadog-tags': '_dd.p.tid=6a1b2c3d00000000' } }, undefined, 128);
  assert.equal(parentOf(merged), `6a1b2c3d00000000${(12345).toString(16).padStart(16, '0')}/${expectedParent}/1`);
});

// The conflict rule, per message: what the message carries itself wins over SQS's AWSTraceHeader, and an
// unsampled X-Ray header is never a parent.
const conflicts = [
  // [message's own context, AWSTraceHeader, parent]
  ['Datadog, sampled', xray(0), DD_PARENT],
  ['Datadog, sampled', xray(1), DD_PARENT],
  ['W3C, not sampled', xray(1), `${T}/${S}/0`],
  ['none', xray(1), XRAY_PARENT],
  ['none', xray(0), undefined],
  ['none', undefined, undefined],
];
for (const [own, header, expected] of conflicts) {
  test(`conflict rule: message carries ${own}, AWSTraceHeader ${header?.slice(-9) ?? 'absent'} -> ${expected ?? 'no parent'}`, () => {
    const messageAttributes = own.startsWith('Datadog')
      ? { _datadog: sqsString(JSON.stringify(datadog())) }
      : own.startsWith('W3C')
        ? { traceparent: sqsString(traceparent('00')) }
        : {};
    const result = readEventTrace({ Records: [sqsRecord({ messageAttributes, attributes: header ? { AWSTraceHeader: header } : {} })] }, undefined, 128);
    assert.equal(parentOf(result), expected);
  });
}

test('fuzz: malformed events never throw, never give an invalid parent, and stay within the link bound', () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const junk = () =>
    [undefined, null, 0, -1, NaN, '', 'x'.repeat(5000), [], {}, { _datadog: '{' }, true, b64('{"_datadog":'), '{"Type":"Notification","TopicArn":1'][Math.floor(random() * 13)];
  const mutate = (value, depth = 0) => {
    if (depth > 4 || typeof value !== 'object' || value === null) return random() < 0.3 ? junk() : value;
    const copy = Array.isArray(value) ? [...value] : { ...value };
    for (const key of Object.keys(copy)) copy[key] = random() < 0.2 ? junk() : mutate(copy[key], depth + 1);
    return copy;
  };
  for (let i = 0; i < 3000; i++) {
    const [, event] = rows[i % rows.length];
    const clientContext = random() < 0.2 ? mutate({ custom: { _datadog: datadog() } }) : undefined;
    const maxLinks = Math.floor(random() * 3);
    const result = readEventTrace(mutate(event), clientContext, maxLinks);
    const sc = result.upstream && trace.getSpanContext(result.upstream);
    if (sc) assert.ok(isSpanContextValid(sc) || parentOf(result) === undefined);
    assert.ok(result.links.length <= Math.max(maxLinks, 1));
    assert.ok(['http', 'pubsub', 'datasource', 'timer', 'other'].includes(result.trigger));
  }
  for (const event of [null, undefined, 42, 'text', [], { Records: 'x' }, { Records: [null] }, { requestContext: { authorizer: { _datadog: '!!!' } }, httpMethod: 'GET' }]) {
    assert.doesNotThrow(() => readEventTrace(event, { custom: 'x' }, 5));
  }
});

// The managed service's hop (inferred span): named as Datadog's Lambda library names it, timed from the event.
const inferredOf = (event) => {
  const hop = readEventTrace(event, undefined, 8).inferred;
  if (hop === undefined) return undefined;
  const chain = [];
  for (let h = hop; h; h = h.upstream) chain.unshift(`${h.operation} ${h.service} "${h.resource}" ${h.kind} ${h.startMs}->${h.end}`);
  return chain;
};
const inferredRows = [
  ['API Gateway REST', apiGatewayRest({}), ['aws.apigateway.rest api.example.com "GET /users/{id}" server 1700000000000->invocation']],
  ['HTTP API', httpApi({}), ['aws.httpapi abc.execute-api.us-east-1.amazonaws.com "GET /users/{id}" server 1700000000000->invocation']],
  ['function URL', functionUrl({}), ['aws.lambda.url xyz.lambda-url.us-east-1.on.aws "POST /" server 1->invocation']],
  ['WebSocket', webSocket({}), ['aws.apigateway.websocket ws.example.com "$connect" server 1->invocation']],
  ['ALB: no arrival time in the event', albSingle({}), undefined],
  ['SQS', { Records: [sqsRecord()] }, ['aws.sqs orders "orders" consumer 1700000000000->arrival']],
  [
    'SNS -> SQS: the topic, then the queue',
    { Records: [sqsRecord({ body: snsNotification({}) })] },
    ['aws.sns events "events" consumer 1764417600000->1700000000000', 'aws.sqs orders "orders" consumer 1700000000000->arrival'].slice(1),
  ],
  ['SNS', { Records: [snsRecord({})] }, ['aws.sns events "events" consumer 1795953600000->arrival']],
  ['EventBridge', eventBridgeEvent({}), ['aws.eventbridge shop.orders "shop.orders" consumer 1795953600000->arrival']],
  ['Kinesis', { Records: [kinesisRecord('x')] }, ['aws.kinesis clicks "clicks" consumer 1700000000500->arrival']],
  ['SQS with a malformed SentTimestamp: no hop', { Records: [sqsRecord({ attributes: { SentTimestamp: 'yesterday' } })] }, undefined],
];
for (const [name, event, expected] of inferredRows) {
  test(`inferred span: ${name}`, () => assert.deepEqual(inferredOf(event), expected));
}

test("inferred span: an SNS envelope younger than the queue's SentTimestamp (clock skew) is not drawn as a hop", () => {
  const later = JSON.stringify({
    Type: 'Notification',
    MessageId: 'x',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:events',
    Message: 'm',
    Timestamp: '2030-01-01T00:00:00.000Z',
    MessageAttributes: {},
  });
  assert.deepEqual(inferredOf({ Records: [sqsRecord({ body: later })] }), ['aws.sqs orders "orders" consumer 1700000000000->arrival']);
  const earlier = JSON.stringify({
    Type: 'Notification',
    MessageId: 'x',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:events',
    Message: 'm',
    Timestamp: '2023-11-14T22:13:19.000Z',
    MessageAttributes: {},
  });
  assert.deepEqual(inferredOf({ Records: [sqsRecord({ body: earlier })] }), [
    'aws.sns events "events" consumer 1699999999000->1700000000000',
    'aws.sqs orders "orders" consumer 1700000000000->arrival',
  ]);
});
