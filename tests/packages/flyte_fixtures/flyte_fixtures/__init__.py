"""Test fixtures shared by this repository's suites (core, plugins, docs); see README.md."""

from flyte_fixtures.browser import CHROMIUM, CHROMIUM_ARGS, browser_page, headless_chromium
from flyte_fixtures.s3 import S3Bucket, StoreUnderTest, moto_s3_server, s3_test_bucket

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "S3Bucket",
    "StoreUnderTest",
    "browser_page",
    "headless_chromium",
    "moto_s3_server",
    "s3_test_bucket",
]
