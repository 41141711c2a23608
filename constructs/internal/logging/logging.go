// Package logging makes the log groups of the constructs, all alike: kept
// for a set time, encrypted with a given key if any, and removed with their
// stack.
package logging

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// DefaultRetention is the retention of a construct's logs when its props
// do not say.
const DefaultRetention = awslogs.RetentionDays_ONE_MONTH

// Settings is how a construct keeps its logs.
type Settings struct {
	// Retention of every log group; "" means DefaultRetention.
	Retention awslogs.RetentionDays
	// Key encrypts every log group; nil leaves CloudWatch Logs' own
	// encryption.
	Key awskms.IKey
}

func (s Settings) retention() awslogs.RetentionDays {
	if s.Retention == "" {
		return DefaultRetention
	}
	return s.Retention
}

// NewLogGroup returns a log group kept for the set retention and deleted
// with its stack, so that destroying the app leaves no logs behind.
func NewLogGroup(scope constructs.Construct, id string, s Settings) awslogs.LogGroup {
	return NewNamedLogGroup(scope, id, nil, s)
}

// NewNamedLogGroup is NewLogGroup with a given name, for the groups a
// service writes to by a name of its own choosing; nil lets CloudFormation
// choose.
func NewNamedLogGroup(scope constructs.Construct, id string, name *string, s Settings) awslogs.LogGroup {
	return awslogs.NewLogGroup(scope, jsii.String(id), &awslogs.LogGroupProps{
		LogGroupName:  name,
		Retention:     s.retention(),
		EncryptionKey: s.Key,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
}

// restrictDefaultSgProvider is the id CDK gives, in the stack, to the
// function behind every VPC's Custom::VpcRestrictDefaultSG (the
// @aws-cdk/aws-ec2:restrictDefaultSecurityGroup feature flag); it is one per
// stack, shared by the stack's VPCs.
const restrictDefaultSgProvider = "Custom::VpcRestrictDefaultSGCustomResourceProvider"

// ProviderLogsID is the id, in the stack, of the log group OwnProviderLogs
// adds.
const ProviderLogsID = "VpcRestrictDefaultSGProviderLogs"

// OwnProviderLogs gives CDK's VPC default-security-group provider function,
// if the stack of scope has one, a log group of the stack's own, with
// retention and removal: Lambda would otherwise create
// /aws/lambda/{function} itself, never expiring and left behind by a
// destroy. It runs once per stack.
func OwnProviderLogs(scope constructs.IConstruct, s Settings) {
	stack := awscdk.Stack_Of(scope)
	provider := stack.Node().TryFindChild(jsii.String(restrictDefaultSgProvider))
	if provider == nil || stack.Node().TryFindChild(jsii.String(ProviderLogsID)) != nil {
		return
	}
	handler, ok := provider.Node().TryFindChild(jsii.String("Handler")).(awscdk.CfnResource)
	if !ok {
		panic(fmt.Sprintf("%s has no Handler function: the CDK version changed how it builds the provider", *provider.Node().Path()))
	}
	logs := NewLogGroup(stack, ProviderLogsID, s)
	// L1 override: the provider is a raw CfnResource, with no L2 props.
	handler.AddPropertyOverride(jsii.String("LoggingConfig"), map[string]any{"LogGroup": logs.LogGroupName()})
}
