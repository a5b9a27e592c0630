"""The site: one CloudFront distribution serving the page from a private bucket, cancels from the
cancel function URL, resumed answers from the resume function URL and the rest of ``/api/*`` from
the streaming function URL, all through Origin Access Control.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra import site_nag
from infra.page_assets import stage_page
from infra.security_headers import security_headers_policy
from stream_chat.routes import API_PATTERN, CANCEL_PATTERN, RESUME_PATTERN

# What the function reads of a request, and nothing more: the body hash OAC signs with, the
# access token (X-Authorization, since OAC replaces Authorization), and the viewer's address as
# CloudFront itself sets it (a header the viewer sends under that name is overwritten).
API_HEADERS = (
    "Accept",
    "Content-Type",
    "X-Amz-Content-Sha256",
    "X-Authorization",
    "CloudFront-Viewer-Address",
)
# A resume is a GET: no body to hash, the last frame id the client has (``Last-Event-ID``, or
# ``?after=n`` in the query string), the token and the viewer's address as for the chat.
RESUME_HEADERS = ("Last-Event-ID", "X-Authorization", "CloudFront-Viewer-Address")
ENTRY_FILES = ("index.html", "config.json")
# The entry files are never cached, so a deploy shows at once; what they load lives under a
# directory named by its content's hash, so it never changes and may be kept for a year.
ENTRY_CACHE = [s3deploy.CacheControl.from_string("no-store")]
ASSET_CACHE = [s3deploy.CacheControl.from_string("public, max-age=31536000, immutable")]


class Site(Construct):
    """Bucket, distribution and deployment of ``web_dir`` plus ``vendor_files`` and config.json."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        web_dir: Path,
        vendor_files: Mapping[str, Path],
        runtime_config: Mapping[str, object],
        function_url: lambda_.IFunctionUrl,
        cancel_url: lambda_.IFunctionUrl,
        resume_url: lambda_.IFunctionUrl,
        origin_read_timeout: cdk.Duration,
        web_acl_arn: str | None = None,
        connect_sources: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = _private_bucket(self)
        headers = security_headers_policy(self, "SecurityHeaders", connect_sources=connect_sources)
        self.api_requests = cloudfront.OriginRequestPolicy(
            self,
            "ApiRequests",
            comment="stream-chat API: body hash, access token, viewer address",
            header_behavior=cloudfront.OriginRequestHeaderBehavior.allow_list(*API_HEADERS),
            query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.all(),
            cookie_behavior=cloudfront.OriginRequestCookieBehavior.none(),
        )
        self.resume_requests = cloudfront.OriginRequestPolicy(
            self,
            "ResumeRequests",
            comment="stream-chat resume: last event id, access token, viewer address",
            header_behavior=cloudfront.OriginRequestHeaderBehavior.allow_list(*RESUME_HEADERS),
            query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.all(),
            cookie_behavior=cloudfront.OriginRequestCookieBehavior.none(),
        )
        # One control signs for every function URL; each origin grants this distribution alone.
        signing = cloudfront.FunctionUrlOriginAccessControl(self, "FunctionUrlAccess")
        stream = origins.FunctionUrlOrigin.with_origin_access_control(
            function_url, origin_access_control=signing, read_timeout=origin_read_timeout
        )
        cancel = origins.FunctionUrlOrigin.with_origin_access_control(
            cancel_url, origin_access_control=signing
        )
        # A resumed answer streams like the live one, heartbeats included.
        resume = origins.FunctionUrlOrigin.with_origin_access_control(
            resume_url, origin_access_control=signing, read_timeout=origin_read_timeout
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="stream-chat",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
            ),
            # CloudFront takes the first matching pattern, in this order: a cancel's path also
            # matches the resume pattern, and every API path matches ``/api/*``.
            additional_behaviors={
                CANCEL_PATTERN: _api_behavior(cancel, headers, self.api_requests),
                RESUME_PATTERN: _api_behavior(
                    resume,
                    headers,
                    self.resume_requests,
                    methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                ),
                API_PATTERN: _api_behavior(stream, headers, self.api_requests),
            },
            web_acl_id=web_acl_arn,
        )
        self._deploy(web_dir, vendor_files, runtime_config)
        site_nag.suppress(
            self, waf=web_acl_arn is not None, distribution=self.distribution, bucket=self.bucket
        )

    @property
    def url(self) -> str:
        return f"https://{self.distribution.distribution_domain_name}"

    def _deploy(
        self, web_dir: Path, vendor_files: Mapping[str, Path], runtime_config: Mapping[str, object]
    ) -> None:
        stage = cdk.Stage.of(self)
        assert stage is not None
        # In the cloud assembly's directory, so it is cleaned up with ``cdk.out``.
        staged = stage_page(
            web_dir, vendor_files, Path(stage.asset_outdir) / f"{self.node.addr}-page"
        )
        assets = s3deploy.BucketDeployment(
            self,
            "Assets",
            sources=[s3deploy.Source.asset(str(staged.assets))],
            destination_bucket=self.bucket,
            # Earlier versions stay: a page loaded before this deploy still finds its modules.
            prune=False,
            exclude=list(ENTRY_FILES),
            cache_control=ASSET_CACHE,
        )
        entry_page = s3deploy.Source.asset(str(staged.entry))
        self.entry = entry = s3deploy.BucketDeployment(
            self,
            "Entry",
            sources=[entry_page, _config_source(runtime_config)],
            destination_bucket=self.bucket,
            exclude=["*"],
            include=list(ENTRY_FILES),
            cache_control=ENTRY_CACHE,
            distribution=self.distribution,
            distribution_paths=["/*"],
        )
        # The new entry page goes live (and the cache is invalidated) once what it loads is there.
        entry.node.add_dependency(assets)


def _config_source(config: Mapping[str, object]) -> s3deploy.ISource:
    """config.json as text: ``Source.json_data`` would drop null values on their way through
    jsii, and ``"auth": null`` is how the page learns that nobody signs in. Deploy-time values
    (the client id, the domain) are ids and URLs, which need no escaping inside their quotes."""
    return s3deploy.Source.data("config.json", json.dumps(config))


def _private_bucket(scope: Construct) -> s3.Bucket:
    return s3.Bucket(
        scope,
        "Bucket",
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        # Holds only what the deployment copies from the repository.
        removal_policy=cdk.RemovalPolicy.DESTROY,
        auto_delete_objects=True,
    )


def _api_behavior(
    origin: cloudfront.IOrigin,
    headers: cloudfront.IResponseHeadersPolicy,
    requests: cloudfront.IOriginRequestPolicy,
    *,
    methods: cloudfront.AllowedMethods = cloudfront.AllowedMethods.ALLOW_ALL,
) -> cloudfront.BehaviorOptions:
    return cloudfront.BehaviorOptions(
        # Signs every request with SigV4; the function URL accepts nothing else.
        origin=origin,
        # A redirect would turn a POST into a GET without its body: plain HTTP is refused.
        viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowed_methods=methods,
        # Never cached: every request reaches its function (a resume's replay is per viewer).
        cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
        # Never the viewer's Host: the function URL needs its own.
        origin_request_policy=requests,
        compress=False,
        response_headers_policy=headers,
    )
