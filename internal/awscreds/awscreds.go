// Package awscreds says why no AWS credentials work in words a person can
// act on, for the commands that talk to an account (make invoke, make
// status): the AWS SDK's own error names every layer it went through.
package awscreds

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/smithy-go"
)

// Problem says what to do when no AWS credentials work, as make e2e's
// "credentials" step does, with only the cause that tells which
// credentials failed. A network failure outside the credential chain is
// told apart: new credentials would not help.
func Problem(err error) string {
	var netErr net.Error
	if !strings.Contains(err.Error(), credentialChain) && errors.As(err, &netErr) {
		return fmt.Sprintf("cannot reach AWS to check the credentials (%v); check the network connection or proxy and run again", netErr)
	}
	return fmt.Sprintf("no usable AWS credentials (%s); set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for the account you deployed to and run again", ShortCause(err))
}

// credentialChain begins the SDK's report of its credential chain failing
// (no credentials found, or none it could refresh), within the error of
// the call that needed them.
const credentialChain = "get credentials: "

// ShortCause is the part of a credential error a person can act on. The
// SDK's error names every layer it went through ("operation error STS:
// GetCallerIdentity, get identity: get credentials: failed to refresh cached
// credentials, no EC2 IMDS role found, operation error ec2imds: GetMetadata,
// http response error StatusCode: 403, ..."): what matters is the first
// reason the credential chain gave, if it failed, and the answer of the
// service that refused, if one did.
func ShortCause(err error) string {
	var answer string
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		answer = apiErr.ErrorCode()
		if m := apiErr.ErrorMessage(); m != "" {
			answer += ": " + m
		}
	}
	msg := err.Error()
	i := strings.LastIndex(msg, credentialChain)
	if i < 0 {
		// Credentials were found but refused (expired, revoked), or the
		// configuration could not be loaded.
		if answer != "" {
			return answer
		}
		return msg
	}
	reason := strings.TrimPrefix(msg[i+len(credentialChain):], "failed to refresh cached credentials, ")
	reason, _, _ = strings.Cut(reason, ", ")
	if reason == "no EC2 IMDS role found" {
		// The chain's last resort: nothing before it had credentials.
		return "none in the environment or ~/.aws, and no EC2 instance role"
	}
	reason = strings.TrimPrefix(reason, "operation error ")
	if answer != "" {
		reason += " (" + answer + ")"
	}
	return reason
}
