// Package logging makes the log groups of the constructs, all alike: kept
// for a set time and removed with their stack.
package logging

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// DefaultRetention is the retention of a construct's logs when its props
// do not say.
const DefaultRetention = awslogs.RetentionDays_ONE_MONTH

// Retention returns r, or DefaultRetention when r is unset.
func Retention(r awslogs.RetentionDays) awslogs.RetentionDays {
	if r == "" {
		return DefaultRetention
	}
	return r
}

// NewLogGroup returns a log group kept for retention and deleted with its
// stack, so that destroying the app leaves no logs behind.
func NewLogGroup(scope constructs.Construct, id string, retention awslogs.RetentionDays) awslogs.LogGroup {
	return awslogs.NewLogGroup(scope, jsii.String(id), &awslogs.LogGroupProps{
		Retention:     retention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
}
