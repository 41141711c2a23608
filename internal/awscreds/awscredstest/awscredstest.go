// Package awscredstest holds the AWS SDK's error for "no credentials
// anywhere", as the tests of the commands that check credentials need it.
package awscredstest

import (
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
)

// NoCredentials is what STS GetCallerIdentity fails with when no link of
// the SDK's default credential chain has credentials.
var NoCredentials = &smithy.OperationError{ServiceID: "STS", OperationName: "GetCallerIdentity",
	Err: fmt.Errorf("get identity: %w", fmt.Errorf("get credentials: %w", fmt.Errorf("failed to refresh cached credentials, %w",
		fmt.Errorf("no EC2 IMDS role found, %w", &smithy.OperationError{ServiceID: "ec2imds", OperationName: "GetMetadata",
			Err: errors.New("http response error StatusCode: 403, request to EC2 IMDS failed")}))))}
