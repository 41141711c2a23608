package awscreds

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"

	"crossregionapi/internal/awscreds/awscredstest"
)

// The cause in the message is what tells which credentials failed, not
// every layer of the SDK.
func TestShortCause(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"none anywhere", awscredstest.NoCredentials, "none in the environment or ~/.aws, and no EC2 instance role"},
		{"expired", &smithy.OperationError{ServiceID: "STS", OperationName: "GetCallerIdentity",
			Err: fmt.Errorf("https response error StatusCode: 403, RequestID: r, %w", &smithy.GenericAPIError{Code: "ExpiredToken", Message: "The security token included in the request is expired"})},
			"ExpiredToken: The security token included in the request is expired"},
		{"a role that cannot be assumed", &smithy.OperationError{ServiceID: "STS", OperationName: "GetCallerIdentity",
			Err: fmt.Errorf("get identity: get credentials: failed to refresh cached credentials, %w", &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole",
				Err: fmt.Errorf("https response error StatusCode: 403, RequestID: r, %w", &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform: sts:AssumeRole"})})},
			"STS: AssumeRole (AccessDenied: not authorized to perform: sts:AssumeRole)"},
		{"an SSO session that expired", errors.New("operation error STS: GetCallerIdentity, get identity: get credentials: failed to refresh cached credentials, refresh cached SSO token failed, unable to refresh SSO token, operation error SSO OIDC: CreateToken"),
			"refresh cached SSO token failed"},
	}
	for _, tc := range cases {
		if got := ShortCause(tc.err); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
