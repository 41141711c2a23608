package cdktest

import (
	"fmt"
	"slices"
	"strings"
)

// UnheardAlarms returns, for each alarm of tmpl that notifies an SNS topic
// of the same template, why CloudWatch could not publish that notification:
// a topic with a policy of its own has lost SNS's default policy, so the
// policy must allow cloudwatch.amazonaws.com to sns:Publish for that alarm
// (aws:SourceArn) of this account (aws:SourceAccount, when it is a
// condition), and a topic encrypted with a key of the template needs that
// key to allow CloudWatch kms:Decrypt and kms:GenerateDataKey*. pseudo
// resolves AWS::Partition, AWS::Region and AWS::AccountId as in Resolve.
// checked counts the notifications looked at, so that a caller can tell a
// template without alarms from one that passed.
func UnheardAlarms(tmpl map[string]any, pseudo map[string]string) (problems []string, checked int) {
	resources, _ := tmpl["Resources"].(map[string]any)
	typeOf := func(id string) string {
		r, _ := resources[id].(map[string]any)
		t, _ := r["Type"].(string)
		return t
	}
	propsOf := func(id string) map[string]any {
		r, _ := resources[id].(map[string]any)
		p, _ := Resolve(r["Properties"], pseudo).(map[string]any)
		return p
	}
	for id := range resources {
		if t := typeOf(id); t != "AWS::CloudWatch::Alarm" && t != "AWS::CloudWatch::CompositeAlarm" {
			continue
		}
		alarm := propsOf(id)
		name, ok := alarm["AlarmName"].(string)
		if !ok {
			problems = append(problems, fmt.Sprintf("alarm %s has no plain AlarmName (%s): its ARN, which the topic must name, is unknown", id, JSON(alarm["AlarmName"])))
			continue
		}
		arn := fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:%s", pseudo["AWS::Partition"], pseudo["AWS::Region"], pseudo["AWS::AccountId"], name)
		for _, key := range []string{"AlarmActions", "OKActions", "InsufficientDataActions"} {
			actions, _ := alarm[key].([]any)
			for _, a := range actions {
				ref, _ := a.(map[string]any)["Ref"].(string)
				if typeOf(ref) != "AWS::SNS::Topic" {
					continue
				}
				checked++
				if why := topicRefuses(resources, propsOf, ref, arn, pseudo["AWS::AccountId"]); why != "" {
					problems = append(problems, fmt.Sprintf("alarm %s (%s) notifies topic %s, but %s", id, key, ref, why))
				}
			}
		}
	}
	return problems, checked
}

// topicRefuses says why CloudWatch may not publish alarm's notifications to
// topic, or "".
func topicRefuses(resources map[string]any, propsOf func(string) map[string]any, topic, alarmArn, account string) string {
	var policies []map[string]any
	for id, r := range resources {
		if r.(map[string]any)["Type"] != "AWS::SNS::TopicPolicy" {
			continue
		}
		p := propsOf(id)
		if slices.ContainsFunc(p["Topics"].([]any), func(t any) bool { return JSON(t) == JSON(map[string]any{"Ref": topic}) }) {
			policies = append(policies, p)
		}
	}
	if len(policies) > 0 && !slices.ContainsFunc(policies, func(p map[string]any) bool { return allowsAlarm(p["PolicyDocument"], topic, alarmArn, account) }) {
		return fmt.Sprintf("its topic policy (which replaces SNS's default) does not allow cloudwatch.amazonaws.com to sns:Publish for %s of account %s", alarmArn, account)
	}
	keyRef, _ := propsOf(topic)["KmsMasterKeyId"].(map[string]any)
	getAtt, _ := keyRef["Fn::GetAtt"].([]any)
	if len(getAtt) == 0 {
		return ""
	}
	keyID, _ := getAtt[0].(string)
	keyPolicy := JSON(propsOf(keyID)["KeyPolicy"])
	for _, action := range []string{"kms:Decrypt", "kms:GenerateDataKey*"} {
		if !statementAllows(propsOf(keyID)["KeyPolicy"], "cloudwatch.amazonaws.com", action) {
			return fmt.Sprintf("its key %s does not allow cloudwatch.amazonaws.com %s: %s", keyID, action, keyPolicy)
		}
	}
	return ""
}

// allowsAlarm reports whether a topic policy document has an Allow of
// sns:Publish on topic for cloudwatch.amazonaws.com whose aws:SourceArn
// condition admits alarmArn and whose aws:SourceAccount, if any, is account.
func allowsAlarm(doc any, topic, alarmArn, account string) bool {
	for _, st := range statements(doc) {
		if !allows(st, "cloudwatch.amazonaws.com", "sns:Publish") || !slices.ContainsFunc(list(st["Resource"]), func(r any) bool {
			return r == "*" || JSON(r) == JSON(map[string]any{"Ref": topic})
		}) {
			continue
		}
		cond, _ := st["Condition"].(map[string]any)
		sourceArn, sourceAccount := false, true
		for op, c := range cond {
			m, _ := c.(map[string]any)
			for k, v := range m {
				switch strings.ToLower(k) {
				case "aws:sourcearn":
					sourceArn = slices.ContainsFunc(list(v), func(p any) bool { return matchArn(op, p, alarmArn) })
				case "aws:sourceaccount":
					sourceAccount = slices.Contains(list(v), any(account))
				}
			}
		}
		if sourceArn && sourceAccount {
			return true
		}
	}
	return false
}

// statementAllows reports whether a policy document has an Allow of action
// for service, whatever its conditions.
func statementAllows(doc any, service, action string) bool {
	return slices.ContainsFunc(statements(doc), func(st map[string]any) bool { return allows(st, service, action) })
}

func allows(st map[string]any, service, action string) bool {
	principal, _ := st["Principal"].(map[string]any)
	return st["Effect"] == "Allow" &&
		slices.Contains(list(principal["Service"]), any(service)) &&
		slices.ContainsFunc(list(st["Action"]), func(a any) bool { s, _ := a.(string); return strings.EqualFold(s, action) })
}

func statements(doc any) []map[string]any {
	d, _ := doc.(map[string]any)
	var out []map[string]any
	for _, s := range list(d["Statement"]) {
		if m, ok := s.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// list is v as a list: a policy element may be one value or several.
func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// matchArn applies an IAM ARN condition operator to one pattern.
func matchArn(op string, pattern any, arn string) bool {
	p, ok := pattern.(string)
	if !ok {
		return false
	}
	switch op {
	case "ArnEquals", "StringEquals":
		return p == arn
	case "ArnLike", "StringLike":
		return globMatch(p, arn)
	}
	return false
}

// globMatch matches IAM's * and ? wildcards.
func globMatch(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if globMatch(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && globMatch(pattern[1:], s[1:])
	}
	return s != "" && s[0] == pattern[0] && globMatch(pattern[1:], s[1:])
}
