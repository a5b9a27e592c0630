"""CloudFormation custom resource: point a user pool app client at the site.

The app client's callback and logout URLs are the distribution's address, but the distribution
is created after the client (the function needs the client id; the distribution needs the
function's URL). So the client is created first and this resource, which depends on both, sets
the URLs. UpdateUserPoolClient resets every setting it is not given, so the request is the client
as it is, with only the URLs changed. Deployed inline (``index.handler``), where Lambda provides
``cfnresponse``.
"""

from __future__ import annotations

from typing import Any

# The fields of DescribeUserPoolClient's answer that UpdateUserPoolClient accepts.
UPDATABLE = frozenset(
    {
        "UserPoolId",
        "ClientId",
        "ClientName",
        "RefreshTokenValidity",
        "AccessTokenValidity",
        "IdTokenValidity",
        "TokenValidityUnits",
        "ReadAttributes",
        "WriteAttributes",
        "ExplicitAuthFlows",
        "SupportedIdentityProviders",
        "CallbackURLs",
        "LogoutURLs",
        "DefaultRedirectURI",
        "AllowedOAuthFlows",
        "AllowedOAuthScopes",
        "AllowedOAuthFlowsUserPoolClient",
        "AnalyticsConfiguration",
        "PreventUserExistenceErrors",
        "EnableTokenRevocation",
        "EnablePropagateAdditionalUserContextData",
        "AuthSessionValidity",
        "RefreshTokenRotation",
    }
)


def update_request(current: dict[str, Any], urls: list[str]) -> dict[str, Any]:
    """The UpdateUserPoolClient request that keeps ``current`` but for its URLs."""
    request = {name: value for name, value in current.items() if name in UPDATABLE}
    request.pop("DefaultRedirectURI", None)  # it must be one of the callbacks; none is needed
    request.update(CallbackURLs=list(urls), LogoutURLs=list(urls))
    return request


def point_client_at(cognito: Any, properties: dict[str, Any]) -> str:
    """Apply the resource's properties; returns its physical id."""
    pool, client = properties["UserPoolId"], properties["ClientId"]
    current = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=client)
    cognito.update_user_pool_client(**update_request(current["UserPoolClient"], properties["Urls"]))
    return f"{pool}/{client}"


def handler(event: dict[str, Any], context: object) -> None:
    import boto3
    import cfnresponse  # type: ignore[import-not-found]  # provided to inline code by Lambda

    physical_id = event.get("PhysicalResourceId", "client-urls")
    try:
        # On delete the client goes too (or keeps URLs nothing sends it to): nothing to undo.
        if event["RequestType"] != "Delete":
            properties = event["ResourceProperties"]
            physical_id = point_client_at(boto3.client("cognito-idp"), properties)
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, physical_id)
    except Exception as exc:  # CloudFormation must hear of every failure
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, physical_id, reason=str(exc))
