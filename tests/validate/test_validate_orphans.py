"""A killed mom must not leave its validator's test run behind."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from processes import MARK, kill_marked, wait_until_gone, wait_until_present

SCRIPT = """
import sys
from pathlib import Path
from mom_cli.validate.runner import run_command
run_command("sleep 300 & exec sleep 300", Path.cwd(), timeout=600, env={sys.argv[1]: sys.argv[2]})
"""


@pytest.mark.skipif(sys.platform != "linux", reason="parent-death signal is Linux-only")
def test_validator_child_dies_with_a_killed_mom(tmp_path: Path) -> None:
    mark = str(tmp_path)
    parent = subprocess.Popen([sys.executable, "-c", SCRIPT, MARK, mark], cwd=tmp_path)
    try:
        assert len(wait_until_present(mark)) >= 1
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert not wait_until_gone(mark, 10), "the validator's child outlived mom"
    finally:
        parent.kill()
        kill_marked(mark)
