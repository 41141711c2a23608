// Command apiclient is the Lambda function (bootstrap) that calls the
// private API in the other Region across VPC peering or cross-Region
// PrivateLink (API_TRANSPORT).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"

	"crossregionapi/functions/apiclient/handler"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))

	cfg, err := handler.ConfigFromEnv(os.Getenv)
	if err != nil {
		logger.Error("invalid configuration", "error", err.Error())
		os.Exit(1)
	}
	// Loaded once per execution environment; the provider caches the
	// credentials and refreshes them before they expire.
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		logger.Error("loading AWS configuration", "error", err.Error())
		os.Exit(1)
	}

	h := handler.New(cfg, handler.NewHTTPClient(cfg), awsCfg.Credentials, logger)
	lambda.Start(h.Handle)
}
