package config

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The trust policies of the roles the app gives other accounts grow with
// the client accounts they name, and IAM refuses a role whose trust policy
// is too long only at deploy time, after other stacks were deployed.
const (
	// MaxRoleTrustPolicy is IAM's default quota "Role trust policy length",
	// 2048 characters (4096 at most once raised in Service Quotas); "IAM
	// does not count white space when calculating the size of a policy"
	// (IAM User Guide, "IAM and AWS STS quotas").
	MaxRoleTrustPolicy = 2048
	// maxQualifierLen is the longest bootstrap qualifier, which CDK's
	// execution role names carry: the bootstrap template's Qualifier
	// parameter allows "[A-Za-z0-9_-]{1,10}". The configuration does not
	// see the qualifier (a CDK setting), so it counts the longest.
	maxQualifierLen = 10
)

// LongestPartition is the longest name of a partition of the Regions the
// configuration accepts (aws-us-gov): the ARNs of a trust policy are
// counted in it, so that the accounts a configuration may name do not
// depend on its partition.
func LongestPartition() string {
	longest := ""
	for _, p := range cdkRegions().partition {
		if len(p) > len(longest) || len(p) == len(longest) && p < longest {
			longest = p
		}
	}
	return longest
}

// ReadRoleTrustChars is the length, as IAM counts it (JSON without white
// space), of the trust policy of the API stack's read role, the role
// through which the client stacks of other accounts read its outputs
// (Fn::GetStackOutput), with every ARN written out in partition and CDK's
// execution roles of bootstrap qualifier qualifier; 0 without clients in
// other accounts. Without OrganizationId the policy names each client
// account and the execution role of each client's account and Region
// (crossref.Publisher.TrustReader); with it, the organization and one
// pattern of those roles' names.
func (c Config) ReadRoleTrustChars(partition, qualifier string) int {
	var accounts, roles []any
	seen := map[string]bool{}
	for _, cl := range c.ClientList() {
		if cl.Account == "" || cl.Account == c.Account {
			continue
		}
		if !seen[cl.Account] {
			seen[cl.Account] = true
			accounts = append(accounts, "arn:"+partition+":iam::"+cl.Account+":root")
		}
		// DefaultStackSynthesizer.DEFAULT_CLOUDFORMATION_ROLE_ARN:
		// arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-${Qualifier}-cfn-exec-role-${AWS::AccountId}-${AWS::Region}
		roles = append(roles, fmt.Sprintf("arn:%s:iam::%s:role/cdk-%s-cfn-exec-role-%s-%s", partition, cl.Account, qualifier, cl.Account, cl.Region))
	}
	if len(roles) == 0 {
		return 0
	}
	statement := map[string]any{"Effect": "Allow", "Action": "sts:AssumeRole",
		"Principal": map[string]any{"AWS": accounts},
		"Condition": map[string]any{"ArnEquals": map[string]any{"aws:PrincipalArn": roles}},
	}
	if c.OrganizationId != "" {
		statement["Principal"] = map[string]any{"AWS": "*"}
		statement["Condition"] = map[string]any{
			"StringEquals": map[string]any{"aws:PrincipalOrgID": c.OrganizationId},
			"ArnLike":      map[string]any{"aws:PrincipalArn": []any{"arn:" + partition + ":iam::*:role/cdk-" + qualifier + "-cfn-exec-role-*"}},
		}
	}
	return policyChars(statement)
}

// AccepterRoleTrustChars is the length, as IAM counts it, of the trust
// policy of the API's peering accepter role, which names each client
// account whether or not OrganizationId is set (AWS documents that role's
// trust as naming the requester's account, and nothing of who assumes it
// on the requester's behalf), with its ARNs in partition; 0 over
// PrivateLink or without clients in other accounts.
func (c Config) AccepterRoleTrustChars(partition string) int {
	accounts := c.ClientAccounts()
	if !c.UsesPeering() || len(accounts) == 0 {
		return 0
	}
	var principal any
	if len(accounts) == 1 {
		principal = "arn:" + partition + ":iam::" + accounts[0] + ":root"
	} else {
		var arns []any
		for _, a := range accounts {
			arns = append(arns, "arn:"+partition+":iam::"+a+":root")
		}
		principal = arns
	}
	return policyChars(map[string]any{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": map[string]any{"AWS": principal}})
}

// policyChars is the length of a policy of one statement, in JSON without
// white space, as CloudFormation writes it.
func policyChars(statement map[string]any) int {
	text, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{statement}})
	if err != nil {
		panic(fmt.Sprintf("config: encoding a trust policy: %v", err))
	}
	return len(text)
}

// trustPolicies refuses clients whose accounts would make a role trust
// policy of the app longer than IAM's default quota, counted with the
// longest partition and bootstrap qualifier, so that it is refused before
// any real configuration reaches the quota: the API stack's read role
// without organizationId (about 140 characters per client in another
// account), and over peering the accepter role (about 40 per account).
func (ch *checker) trustPolicies() {
	c := ch.cfg
	partition, qualifier := LongestPartition(), strings.Repeat("q", maxQualifierLen)
	others := 0
	for _, cl := range c.ClientList() {
		if cl.Account != "" && cl.Account != c.Account {
			others++
		}
	}
	accounts := len(c.ClientAccounts())
	if n := c.ReadRoleTrustChars(partition, qualifier); c.OrganizationId == "" && n > MaxRoleTrustPolicy {
		ch.add(keyClients, missing{},
			"lists %d %s in %d other %s, and the trust policy of the API stack's read role, through which their stacks read its outputs, would name each account and each client's CloudFormation execution role: up to %d characters, over IAM's quota of %d for a role trust policy; if the accounts are in one AWS Organization, set %s to trust its execution roles in one size, or split the accounts between copies of the app (%s)",
			others, plural(others, "client", "clients"), accounts, plural(accounts, "account", "accounts"), n, MaxRoleTrustPolicy, keyOrganizationId, keyAppName)
	}
	if n := c.AccepterRoleTrustChars(partition); ch.transport == TransportPeering && n > MaxRoleTrustPolicy {
		fix := ""
		if ch.valid(keyTransport, TransportPrivateLink) {
			fix = ", or set " + keyTransport + " to " + quote(TransportPrivateLink) + ", which needs no accepter role"
		}
		ch.addBetween(keyClients, []string{keyTransport}, missing{},
			"lists clients in %d other accounts, and the trust policy of the API's peering accepter role would name each: up to %d characters, over IAM's quota of %d for a role trust policy, whether or not %s is set; split the accounts between copies of the app (%s)%s",
			accounts, n, MaxRoleTrustPolicy, keyOrganizationId, keyAppName, fix)
	}
}
