"""Security headers CloudFront adds to every response, page and API alike."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudfront as cloudfront
from constructs import Construct

from stream_chat_page import content_security_policy

# Without sign-in; with it, the sign-in domain joins connect-src.
CONTENT_SECURITY_POLICY = content_security_policy()
HSTS_MAX_AGE = cdk.Duration.days(365)


def security_headers_policy(
    scope: Construct, construct_id: str, *, connect_sources: Sequence[str] = ()
) -> cloudfront.ResponseHeadersPolicy:
    """CSP, HSTS, nosniff, no framing and a strict referrer policy, overriding the origin's."""
    return cloudfront.ResponseHeadersPolicy(
        scope,
        construct_id,
        comment="stream-chat security headers",
        security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
            content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                content_security_policy=content_security_policy(connect_sources), override=True
            ),
            strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                access_control_max_age=HSTS_MAX_AGE, include_subdomains=True, override=True
            ),
            content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
            frame_options=cloudfront.ResponseHeadersFrameOptions(
                frame_option=cloudfront.HeadersFrameOption.DENY, override=True
            ),
            referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                override=True,
            ),
        ),
    )
