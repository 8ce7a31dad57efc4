"""Model-written code runs without keys: a module the hostile model writes dumps its
environment when the tests stage imports it; the key must not be in the dump."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from hostile import (
    REQUEST,
    SECRET,
    FakeServer,
    Reply,
    edit_reply,
    make_repo,
    user_config,
    whole_file_reply,
)
from processes import MARK, kill_marked, wait_until_gone
from typer.testing import CliRunner

from mom_cli import sandbox, sandbox_fs
from mom_cli.cli.app import app
from mom_cli.config import load_config
from mom_cli.validate.runner import run_command

PRINT_ENV = "import os, json; print(json.dumps(dict(os.environ)))"
PRINT_KEY = "import os; print(os.environ.get('GROQ_API_KEY', 'absent'))"
SPY = """import json, os, socket
from pathlib import Path

def _net():
    try:
        socket.create_connection(("{host}", {port}), timeout=3).close()
        return "reached"
    except OSError as exc:
        return type(exc).__name__

Path({dump!r}).write_text(json.dumps({{"env": dict(os.environ), "net": _net()}}))


def double(x: int) -> int:
    return x * 2
"""


def test_model_code_runs_without_keys_or_network(
    hostile_model: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "repo")
    dump = tmp_path / "outside" / "env.json"
    dump.parent.mkdir()
    host, port = hostile_model.url.removeprefix("http://").split(":")
    spy = SPY.format(dump=str(dump), host=host, port=port)
    reply = (
        whole_file_reply("calc/spy.py", spy)
        + "\n"
        + edit_reply(
            "tests/test_ops.py",
            "from calc.ops import add\n",
            "import calc.spy  # noqa: F401\nfrom calc.ops import add\n",
        )
    )
    hostile_model.script(Reply(content=reply))
    cfg = user_config(tmp_path / "user.toml", hostile_model.url)
    monkeypatch.setenv("DEEPSEEK_API_KEY", SECRET)
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-should-not-leak")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-should-not-leak")
    monkeypatch.setenv("INNOCENT_SETTING", "kept")

    result = CliRunner().invoke(
        app, ["run", REQUEST, "--json", "--repo", str(repo), "--config", str(cfg)]
    )

    assert dump.exists(), result.output  # the model's code did run, in the tests stage
    seen = json.loads(dump.read_text())
    env = seen["env"]
    assert SECRET not in json.dumps(env)
    assert "DEEPSEEK_API_KEY" not in env and "MY_SERVICE_TOKEN" not in env
    assert "AWS_SECRET_ACCESS_KEY" not in env
    assert env["INNOCENT_SETTING"] == "kept"
    assert env["PATH"].endswith(os.environ["PATH"])  # the toolchain still resolves
    if sandbox.network_isolation()[0]:
        assert seen["net"] != "reached"  # not even the loopback server outside
    # the hostile server still got the key: mom itself needs it
    assert hostile_model.chat_requests[0].headers["authorization"] == f"Bearer {SECRET}"


def test_allow_env_lets_a_named_variable_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = tmp_path / "user.toml"
    user.write_text('[sandbox]\nallow_env = ["NPM_TOKEN"]\n')
    monkeypatch.setenv("NPM_TOKEN", "npm-needed")
    monkeypatch.setenv("GROQ_API_KEY", "gsk-never")
    load_config(config_path=user, environ={})
    try:
        out = run_command([sys.executable, "-c", PRINT_ENV], tmp_path, timeout=30)
        env = json.loads(out.stdout)
        assert env["NPM_TOKEN"] == "npm-needed"
        assert "GROQ_API_KEY" not in env
    finally:
        load_config(environ={})  # back to the default policy for the rest of the session


def test_any_api_key_env_name_is_scrubbed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = tmp_path / "user.toml"
    user.write_text('[providers.corp]\nkind = "openai_compat"\nbase_url = "http://x"\n'
                    'api_key_env = "CORP_LLM"\n')  # fmt: skip
    monkeypatch.setenv("CORP_LLM", "corp-secret")
    load_config(config_path=user, environ={})
    out = run_command("env", tmp_path, timeout=30)
    assert "corp-secret" not in out.stdout
    assert "CORP_LLM" in sandbox.removed_names()


def test_rule_tools_run_sandboxed_and_their_whole_group_dies_on_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mom_cli.rules.tools import run_tool

    monkeypatch.setenv("GROQ_API_KEY", "gsk-never")
    monkeypatch.setenv(MARK, str(tmp_path))  # finds its processes from out here
    script = "import os, subprocess, sys, time\n" \
        "print(os.environ.get('GROQ_API_KEY', 'absent'), flush=True)\n" \
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n" \
        "open(sys.argv[1], 'w').write(str(child.pid))\n" \
        "time.sleep(60)\n"  # fmt: skip
    pid_file = tmp_path / "pid"
    try:
        assert run_tool([sys.executable, "-c", script, str(pid_file)], tmp_path, timeout=3) is None
        assert pid_file.read_text()  # the grandchild was started
        assert not wait_until_gone(str(tmp_path)), "the tool's grandchild outlived the timeout"
    finally:
        kill_marked(str(tmp_path))
    done = run_tool([sys.executable, "-c", PRINT_KEY], tmp_path)
    assert done is not None and done.stdout.strip() == "absent"


def test_doctor_says_which_protections_are_active(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    result = CliRunner().invoke(app, ["doctor", "--json", "--repo", str(repo)])
    doc = json.loads(result.stdout)
    safety = doc["safety"]
    assert safety["env_scrub"] is True
    isolated, why = sandbox.network_isolation()
    assert safety["network_blocked"] is isolated
    assert ("blocked" in safety["network"]) if isolated else (why in safety["network"])
    assert "routing.toml" in safety["protected"]
    ok, why = sandbox_fs.available()
    assert safety["state_files"].startswith("read-only") if ok else why in safety["state_files"]
