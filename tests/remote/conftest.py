"""A real S3 API on loopback (moto's server) for the remote tests: no network, no cloud account."""

from __future__ import annotations

import json
import logging
import os
import re
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import fsspec
import pytest
from fsspec.implementations.memory import MemoryFileSystem
from moto.server import ThreadedMotoServer

_OBJECT_GET = re.compile(r'"GET /(?P<bucket>[^/?\s]+)/(?P<key>[^?\s]+) HTTP')


@dataclass
class S3:
    """The server, a client for setting buckets up, the environment that points s3fs at it,
    and every request line it logged."""

    endpoint: str
    client: Any
    env: dict[str, str]
    requests: list[str] = field(default_factory=list)

    def upload(self, folder: Path, bucket: str, prefix: str) -> None:
        if bucket not in {b["Name"] for b in self.client.list_buckets()["Buckets"]}:
            self.client.create_bucket(Bucket=bucket)
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                self.client.put_object(
                    Bucket=bucket, Key=f"{prefix}/{file.relative_to(folder).as_posix()}", Body=file.read_bytes()
                )

    def deny(self, bucket: str, action: str, resource: str) -> None:
        """A bucket policy denying ``action`` on ``resource`` (below the bucket) to everyone."""
        statement = {"Effect": "Deny", "Principal": "*", "Action": action, "Resource": f"arn:aws:s3:::{bucket}/{resource}"}
        self.client.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))

    def fetched(self, bucket: str) -> list[str]:
        """The keys of ``bucket`` read with GetObject so far, in order."""
        return [m["key"] for m in map(_OBJECT_GET.search, self.requests) if m and m["bucket"] == bucket]

    @contextmanager
    def enforcing_credentials(self) -> Iterator[None]:
        """Moto checks every request's credentials against its IAM users while inside."""
        self._auth_after(0)
        try:
            yield
        finally:
            self._auth_after("inf")

    def _auth_after(self, requests: int | str) -> None:
        request = urllib.request.Request(
            f"{self.endpoint}/moto-api/reset-auth",
            data=str(requests).encode(),
            method="POST",
            headers={"Content-Type": "text/plain"},
        )
        urllib.request.urlopen(request, timeout=10).read()


class _Requests(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.INFO)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture(scope="module")
def s3() -> Iterator[S3]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    requests: list[str] = []
    handler = _Requests(requests)
    log = logging.getLogger("werkzeug")
    log.addHandler(handler)
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "CURVESCOPE_STORAGE_OPTIONS"):
            patch.delenv(name, raising=False)
        for name, value in env.items():
            patch.setenv(name, value)
        try:
            yield S3(endpoint, boto3.client("s3"), env, requests)
        finally:
            log.removeHandler(handler)
            server.stop()


@pytest.fixture
def memory() -> str:
    """A fresh folder of the in-memory filesystem, removed afterwards."""
    fs = fsspec.filesystem("memory")
    root = f"/curvescope-{uuid.uuid4().hex}"
    yield root
    if fs.exists(root):
        fs.rm(root, recursive=True)


@pytest.fixture
def fetches(monkeypatch) -> list[str]:
    """Every file fetched from the in-memory filesystem, by path."""
    fetched: list[str] = []
    fetch = MemoryFileSystem.get_file

    def counted(self, rpath, lpath, **kwargs):
        fetched.append(rpath)
        return fetch(self, rpath, lpath, **kwargs)

    monkeypatch.setattr(MemoryFileSystem, "get_file", counted)
    return fetched
