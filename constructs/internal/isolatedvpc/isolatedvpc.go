// Package isolatedvpc builds the VPC shape both sides of the pattern share.
package isolatedvpc

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"crossregionapi/constructs/internal/logging"
)

// SubnetGroupName names the only subnet group, one isolated subnet per AZ.
const SubnetGroupName = "Isolated"

// New returns a VPC over cidr with one isolated subnet in each of two
// Availability Zones and nothing that reaches the Internet: no Internet
// gateway, no NAT gateway, no Elastic IP. Everything in it talks to AWS
// through interface endpoints or a peering connection. The AZs are those of
// the enclosing stack, so a stack can pin them without a context lookup.
//
// Every flow (accepted and rejected) is logged to a log group kept as logs
// says and deleted with the stack: with security groups this narrow, the
// REJECT records are how a blocked call is found.
//
// restrictDefaultSG removes every rule of the VPC's default security group
// through CDK's custom resource (a Lambda function outside the VPC); nil
// leaves it to the @aws-cdk/aws-ec2:restrictDefaultSecurityGroup flag.
func New(scope constructs.Construct, id string, cidr *string, logs logging.Settings, restrictDefaultSG *bool) awsec2.Vpc {
	vpc := awsec2.NewVpc(scope, jsii.String(id), &awsec2.VpcProps{
		IpAddresses:                  awsec2.IpAddresses_Cidr(cidr),
		RestrictDefaultSecurityGroup: restrictDefaultSG,
		MaxAzs:                       jsii.Number(2),
		NatGateways:                  jsii.Number(0),
		EnableDnsHostnames:           jsii.Bool(true),
		EnableDnsSupport:             jsii.Bool(true),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{
			Name:       jsii.String(SubnetGroupName),
			SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED,
		}},
	})
	flowLogs := logging.NewLogGroup(vpc, "FlowLogs", logs)
	vpc.AddFlowLog(jsii.String("FlowLog"), &awsec2.FlowLogOptions{
		Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(flowLogs, nil),
		TrafficType: awsec2.FlowLogTrafficType_ALL,
	})
	logging.OwnProviderLogs(vpc, logs)
	return vpc
}

// Subnets selects the isolated subnets of a VPC made by New.
func Subnets() *awsec2.SubnetSelection {
	return &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}
}
