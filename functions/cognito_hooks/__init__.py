"""Small Lambda functions around the Cognito user pool, each one file deployed as inline code."""
