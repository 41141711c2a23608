// Package cdktest holds the small helpers the construct tests share for
// reading synthesized templates.
package cdktest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// FakeCode is a Lambda code asset holding a stand-in `bootstrap`, for
// constructs whose tests need a function but not the real client.
func FakeCode(t *testing.T) awslambda.Code {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return awslambda.Code_FromAsset(jsii.String(dir), nil)
}

// Template synthesizes stack and returns its template as parsed JSON.
func Template(t *testing.T, stack awscdk.Stack) map[string]any {
	t.Helper()
	raw := assertions.Template_FromStack(stack, nil).ToJSON()
	b, err := json.Marshal(raw)
	if err != nil {
		t.Fatalf("encoding the template: %v", err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("decoding the template: %v", err)
	}
	return out
}

// Resources returns the resources of one type, by logical id.
func Resources(tmpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	all, _ := tmpl["Resources"].(map[string]any)
	for id, r := range all {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// Props returns the properties of every resource of one type.
func Props(tmpl map[string]any, typ string) []map[string]any {
	var out []map[string]any
	for _, r := range Resources(tmpl, typ) {
		p, _ := r["Properties"].(map[string]any)
		out = append(out, p)
	}
	return out
}

// JSON renders v compactly, for comparisons and messages.
func JSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Resolve replaces, in a template value, each Ref to a pseudo parameter
// named in pseudo ("AWS::Partition": "aws", ...) by its value, and each
// Fn::Join whose parts then are all strings by the joined string, the way
// CloudFormation would in one environment. Anything else is left as it is.
func Resolve(v any, pseudo map[string]string) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Resolve(e, pseudo)
		}
		return out
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok && len(x) == 1 {
			if val, ok := pseudo[ref]; ok {
				return val
			}
			return x
		}
		if join, ok := x["Fn::Join"].([]any); ok && len(x) == 1 && len(join) == 2 {
			sep, _ := join[0].(string)
			parts, _ := Resolve(join[1], pseudo).([]any)
			var s string
			for i, p := range parts {
				str, ok := p.(string)
				if !ok {
					return map[string]any{"Fn::Join": []any{join[0], parts}}
				}
				if i > 0 {
					s += sep
				}
				s += str
			}
			return s
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = Resolve(e, pseudo)
		}
		return out
	}
	return v
}
