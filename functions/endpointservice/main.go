// Command endpointservice is the Lambda function (bootstrap) behind the
// custom resources of the API's PrivateLink front: Custom::EndpointAddresses
// and Custom::EndpointServiceConnections (see package handler).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"crossregionapi/functions/endpointservice/handler"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	// Loaded once per execution environment, with the function's role and
	// Region.
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		logger.Error("loading AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	h := handler.New(ec2.NewFromConfig(awsCfg), logger)
	lambda.Start(cfn.LambdaWrap(h.Handle))
}
