// A stand-in for @aws-sdk/client-ec2, for lookup_test.go: just what CDK's
// AwsCustomResource handler uses of it (a class whose name ends in
// "Client", with send and config, and the command class it names), and an
// EC2 that knows a few network interfaces.
//
// Every construction of the client and every send is appended, as one JSON
// line, to the file named by LOOKUP_EC2_RECORD. The interfaces EC2 knows are
// in LOOKUP_EC2_INTERFACES: a JSON object from interface id to private
// address.
"use strict";

const fs = require("fs");

function record(entry) {
  fs.appendFileSync(process.env.LOOKUP_EC2_RECORD, JSON.stringify(entry) + "\n");
}

const known = JSON.parse(process.env.LOOKUP_EC2_INTERFACES || "{}");

class DescribeNetworkInterfacesCommand {
  constructor(input) {
    this.input = input;
  }
}

// describeNetworkInterfaces answers as EC2 does: the interfaces named, each
// once, with their primary address both as PrivateIpAddress and in the
// PrivateIpAddresses list; an unknown id fails the whole call.
function describeNetworkInterfaces(input) {
  const ids = input.NetworkInterfaceIds || [];
  for (const id of ids) {
    if (!(id in known)) {
      const err = new Error(`The networkInterface ID '${id}' does not exist`);
      err.name = "InvalidNetworkInterfaceID.NotFound";
      throw err;
    }
  }
  return {
    $metadata: { httpStatusCode: 200, requestId: "00000000-0000-0000-0000-000000000000" },
    NetworkInterfaces: [...new Set(ids)].map((id) => ({
      NetworkInterfaceId: id,
      InterfaceType: "vpc_endpoint",
      Status: "in-use",
      PrivateIpAddress: known[id],
      PrivateDnsName: `ip-${known[id].replace(/\./g, "-")}.ec2.internal`,
      PrivateIpAddresses: [
        { Primary: true, PrivateIpAddress: known[id], PrivateDnsName: `ip-${known[id].replace(/\./g, "-")}.ec2.internal` },
      ],
    })),
  };
}

class EC2Client {
  constructor(configuration) {
    record({ event: "client", region: configuration?.region ?? null });
    const region = configuration?.region ?? process.env.AWS_REGION;
    this.config = { apiVersion: configuration?.apiVersion, region: async () => region };
  }

  async send(command) {
    const name = command.constructor.name;
    record({ event: "send", command: name, input: command.input });
    if (name !== "DescribeNetworkInterfacesCommand") {
      throw new Error(`stub EC2 does not answer ${name}`);
    }
    return describeNetworkInterfaces(command.input);
  }
}

module.exports = { EC2Client, DescribeNetworkInterfacesCommand };
