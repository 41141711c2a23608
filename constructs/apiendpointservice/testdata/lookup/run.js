// Runs CDK's AwsCustomResource handler once, as Lambda would, for
// lookup_test.go:
//
//   node run.js HANDLER_DIR EVENT_FILE
//
// HANDLER_DIR holds the handler (index.js) as synthesized, with the stub
// @aws-sdk/client-ec2 in its node_modules. EVENT_FILE is the CloudFormation
// event. The handler answers CloudFormation with an HTTPS PUT to the
// event's ResponseURL (port 443, always); the one change made here is that
// the connection goes to the test's TLS server instead, LOOKUP_RESPONSE_PORT
// on 127.0.0.1, trusting only its certificate (LOOKUP_RESPONSE_CA, a PEM
// file): the request itself, its Host, path and body are the handler's.
"use strict";

const fs = require("fs");
const https = require("https");
const path = require("path");
const tls = require("tls");

const [handlerDir, eventFile] = process.argv.slice(2);
const port = Number(process.env.LOOKUP_RESPONSE_PORT);
const ca = fs.readFileSync(process.env.LOOKUP_RESPONSE_CA);

class ResponseAgent extends https.Agent {
  createConnection(options) {
    const { servername, ...rest } = options;
    return tls.connect({ ...rest, host: "127.0.0.1", port, ca });
  }
}
https.globalAgent = new ResponseAgent({ keepAlive: false });

// The handler must load the stub, not an SDK found elsewhere.
const stub = require.resolve("@aws-sdk/client-ec2", { paths: [handlerDir] });
if (path.dirname(stub) !== path.join(handlerDir, "node_modules", "@aws-sdk", "client-ec2")) {
  throw new Error(`@aws-sdk/client-ec2 resolves to ${stub}, not the stub`);
}

const event = JSON.parse(fs.readFileSync(eventFile, "utf8"));
const context = {
  functionName: "lookup-test",
  awsRequestId: "11111111-2222-3333-4444-555555555555",
  logGroupName: "/aws/lambda/lookup-test",
  logStreamName: "2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
  getRemainingTimeInMillis: () => 120000,
};

const { handler } = require(path.join(handlerDir, "index.js"));
handler(event, context).then(
  () => process.exit(0),
  (err) => {
    console.error("handler rejected:", err);
    process.exit(1);
  },
);
