"""Runs kept in S3, through a real S3 API on loopback: audits and reads equal the local folder's,
a second audit fetches nothing, and what cannot be read is one clear line, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys

import boto3
import pandas as pd
import pytest
from typer.testing import CliRunner

import curvescope
from curvescope.cli import app
from curvescope.errors import LogdirNotFound, RemoteAccessDenied, RemoteError
from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow  # an S3 server on loopback, and the CLI in a process

DEMO = FIXTURES / "demo"
BUCKET = "team-runs"
WINE = "keras/wine-mlp-tanh-sgd/training.log"
TRAINER_STATE = "huggingface/digits-mlp-tanh-sgd/checkpoint-3440/trainer_state.json"


@pytest.fixture(scope="module")
def demo(s3) -> str:
    s3.upload(DEMO, BUCKET, "demo")
    return f"s3://{BUCKET}/demo"


@pytest.fixture(scope="module")
def locked(s3) -> str:
    """The demo runs in a bucket whose policy lets everyone list them and no one read them."""
    s3.upload(DEMO, "locked-runs", "demo")
    s3.deny("locked-runs", "s3:GetObject", "*")
    return "s3://locked-runs/demo"


@pytest.fixture(scope="module")
def local_report() -> dict:
    return curvescope.audit(DEMO, cache=False).to_dict()


def test_the_cli_audit_of_an_s3_url_equals_the_api(s3, demo, tmp_path):
    cli = subprocess.Popen(
        [sys.executable, "-m", "curvescope", "audit", demo, "--format", "json", "--cache", tmp_path / "cli"],
        env={**os.environ, **s3.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    api = curvescope.audit(demo, cache=tmp_path / "api").to_json()  # while the CLI's process runs
    stdout, stderr = cli.communicate(timeout=300)
    assert cli.returncode == 0, stderr
    assert json.loads(stdout) == json.loads(api)


def test_an_s3_audit_equals_the_local_audit(demo, local_report, tmp_path):
    assert curvescope.audit(demo, cache=tmp_path).to_dict() == local_report
    mirror = tmp_path / "remote" / "s3" / BUCKET / "demo"
    assert (mirror / WINE).is_file() and (mirror / ".curvescope-mirror.json").is_file()


def test_an_s3_audit_without_a_cache_equals_the_local_audit(demo, local_report):
    assert curvescope.audit(demo, cache=False).to_dict() == local_report


def test_an_s3_read_equals_the_local_read(demo):
    remote, local = curvescope.read(demo), curvescope.read(DEMO)
    pd.testing.assert_frame_equal(remote.scalars, local.scalars)
    assert (remote.runs, remote.roles, remote.hparams, remote.findings) == (
        local.runs,
        local.roles,
        local.hparams,
        local.findings,
    )


def test_the_cli_reads_an_s3_url(demo):
    done = CliRunner().invoke(app, ["read", demo, "--format", "json"])
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout)
    local = curvescope.read(DEMO)
    assert [run["run"] for run in summary["runs"]] == list(local.runs)
    assert summary["points"] == len(local.scalars)


def test_a_second_audit_fetches_nothing_and_a_changed_file_is_fetched_again(s3, tmp_path):
    s3.upload(DEMO, BUCKET, "changing")
    url, mirror = f"s3://{BUCKET}/changing", tmp_path / "cache" / "remote" / "s3" / BUCKET / "changing"
    before = len(s3.fetched(BUCKET))
    first = curvescope.audit(url, cache=tmp_path / "cache").to_dict()
    uploaded = [f"changing/{file.relative_to(DEMO).as_posix()}" for file in DEMO.rglob("*") if file.is_file()]
    assert sorted(s3.fetched(BUCKET)[before:]) == sorted(uploaded)
    modified = s3.client.head_object(Bucket=BUCKET, Key=f"changing/{WINE}")["LastModified"]
    assert (mirror / WINE).stat().st_mtime == modified.timestamp()

    before = len(s3.fetched(BUCKET))
    assert curvescope.audit(url, cache=tmp_path / "cache").to_dict() == first
    assert s3.fetched(BUCKET)[before:] == []

    edited = tmp_path / "edited"
    shutil.copytree(DEMO, edited)
    lines = (edited / WINE).read_text().splitlines(keepends=True)
    (edited / WINE).write_text("".join(lines[: len(lines) // 2]))
    (edited / TRAINER_STATE).unlink()
    s3.client.put_object(Bucket=BUCKET, Key=f"changing/{WINE}", Body=(edited / WINE).read_bytes())
    s3.client.delete_object(Bucket=BUCKET, Key=f"changing/{TRAINER_STATE}")
    before = len(s3.fetched(BUCKET))
    again = curvescope.audit(url, cache=tmp_path / "cache").to_dict()
    assert s3.fetched(BUCKET)[before:] == [f"changing/{WINE}"]
    assert not (mirror / TRAINER_STATE).exists() and not (mirror / TRAINER_STATE).parent.exists()
    assert again == curvescope.audit(edited, cache=False).to_dict() != first


def test_a_file_url_mirrors_that_one_file(s3, demo, tmp_path):
    before = len(s3.fetched(BUCKET))
    report = curvescope.audit(f"{demo}/{WINE}", cache=tmp_path)
    assert s3.fetched(BUCKET)[before:] == [f"demo/{WINE}"]
    assert report.to_dict() == curvescope.audit(DEMO / WINE, cache=False).to_dict()


def test_one_file_that_cannot_be_fetched_is_a_finding(s3, local_report, tmp_path):
    s3.upload(DEMO, "partly-locked", "demo")
    s3.deny("partly-locked", "s3:GetObject", f"demo/{WINE}")
    report = curvescope.audit("s3://partly-locked/demo", cache=tmp_path).to_dict()
    [problem] = report["findings"]
    assert (problem["name"], problem["source"]) == ("unreadable-file", WINE)
    assert f"s3://partly-locked/demo/{WINE}" in problem["message"] and "access denied" in problem["message"]
    assert report["runs"] == [run for run in local_report["runs"] if run["run"] != "keras/wine-mlp-tanh-sgd"]


@pytest.mark.parametrize(
    "url, error, says",
    [
        ("s3://no-such-bucket/demo", LogdirNotFound, "no such bucket"),
        (f"s3://{BUCKET}/no-such-prefix", LogdirNotFound, "nothing below this URL"),
    ],
)
def test_a_missing_bucket_or_prefix_is_a_clear_error(demo, url, error, says, tmp_path):
    with pytest.raises(error) as raised:
        curvescope.audit(url, cache=tmp_path)
    _one_clear_line(str(raised.value), url, says)


def test_credentials_that_may_not_read_are_a_clear_error(locked, tmp_path):
    with pytest.raises(RemoteAccessDenied) as raised:
        curvescope.audit(locked, cache=tmp_path)
    _one_clear_line(str(raised.value), locked, "access denied")


def test_credentials_that_may_not_list_are_a_clear_error(s3, demo, monkeypatch, tmp_path):
    iam = boto3.client("iam")
    iam.create_user(UserName="no-permissions")
    key = iam.create_access_key(UserName="no-permissions")["AccessKey"]
    monkeypatch.setenv("CURVESCOPE_STORAGE_OPTIONS", json.dumps({"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}))
    with s3.enforcing_credentials(), pytest.raises(RemoteAccessDenied) as raised:
        curvescope.read(demo)
    _one_clear_line(str(raised.value), demo, "access denied while listing")


def test_an_unreachable_endpoint_is_a_clear_error(demo, monkeypatch, tmp_path):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("CURVESCOPE_STORAGE_OPTIONS", json.dumps({"config_kwargs": {"retries": {"max_attempts": 1}}}))
    with pytest.raises(RemoteError) as raised:
        curvescope.audit(demo, cache=tmp_path)
    _one_clear_line(str(raised.value), demo, "cannot be listed")


@pytest.mark.parametrize(
    "url, says",
    [
        ("s3://no-such-bucket/demo", "no such bucket"),
        (f"s3://{BUCKET}/no-such-prefix", "nothing below this URL"),
        ("s3://locked-runs/demo", "access denied"),
    ],
)
def test_the_cli_says_what_is_wrong_in_one_line(demo, locked, url, says):
    done = CliRunner().invoke(app, ["audit", url])
    assert done.exit_code == 2, done.output
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"error: {url}: ") and says in line, line
    assert done.stdout == "" and "Traceback" not in done.output


def _one_clear_line(message: str, url: str, says: str) -> None:
    assert message.startswith(f"{url}: ") and says in message, message
    assert "\n" not in message and "Traceback" not in message and "botocore" not in message
