package main

import (
	"maps"
	"strings"
	"testing"

	"crossregionapi/config"
	"crossregionapi/internal/cdktest"
)

// Outside the aws partition, the API's hostname (the private zone, the
// client's URL), the invoke grant and the endpoint's service are those of
// the API Region's own partition.
func TestOtherPartitions(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes the whole app per case")
	}
	cases := []struct {
		name, apiRegion, clientRegion, suffix, partition, service string
	}{
		{"China", "cn-north-1", "cn-northwest-1", "amazonaws.com.cn", "aws-cn", "cn.com.amazonaws.cn-north-1.execute-api"},
		{"GovCloud", "us-gov-west-1", "us-gov-east-1", "amazonaws.com", "aws-us-gov", "com.amazonaws.us-gov-west-1.execute-api"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := cdkJSONContext(t)
			maps.Copy(ctx, map[string]any{"apiRegion": tc.apiRegion, "clientRegion": tc.clientRegion})
			res, err := synthesize(ctx, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			client, api := res.templates[config.RoleClient], res.templates[config.RoleApi]
			host := ".execute-api." + tc.apiRegion + "." + tc.suffix
			_, zone := onlyProps(t, client, "AWS::Route53::HostedZone")
			if got := cdktest.JSON(zone["Name"]); !strings.Contains(got, `"`+host+`."`) {
				t.Errorf("hosted zone name %s, want {apiId}%s", got, host)
			}
			_, fn := clientFunction(t, res)
			url := cdktest.JSON(fn["Environment"].(map[string]any)["Variables"].(map[string]any)["API_URL"])
			if !strings.Contains(url, `"`+host+`/v1"`) {
				t.Errorf("API_URL %s, want https://{apiId}%s/v1", url, host)
			}
			if got := cdktest.JSON(cdktest.Props(client, "AWS::IAM::Policy")); !strings.Contains(got, `"arn:`+tc.partition+`:execute-api:`+tc.apiRegion+`:"`) {
				t.Errorf("client policies grant no execute-api ARN of partition %s: %s", tc.partition, got)
			}
			if wrong := ".execute-api." + tc.apiRegion + ".amazonaws.com"; tc.suffix != "amazonaws.com" &&
				(strings.Contains(cdktest.JSON(client), wrong+`."`) || strings.Contains(cdktest.JSON(client), wrong+"/")) {
				t.Errorf("client template names %s", wrong)
			}
			_, ep := onlyProps(t, api, "AWS::EC2::VPCEndpoint")
			if ep["ServiceName"] != tc.service {
				t.Errorf("endpoint service %v, want %s", ep["ServiceName"], tc.service)
			}
		})
	}
}
