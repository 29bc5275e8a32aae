"""Shared helpers of the Python package's tests: the command-line binary built by cargo, to
check that the package and the command line give the same numbers."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli():
    """Runs `lightloop ARGS…` (the binary cargo built) and returns its standard output."""
    binary = Path(os.environ.get("LIGHTLOOP_BIN", ROOT / "target" / "debug" / "lightloop"))
    if not binary.exists():
        subprocess.run(["cargo", "build", "-q", "-p", "lightloop"], cwd=ROOT, check=True)

    def run(*args, json_out=False, cwd=None):
        out = subprocess.run([str(binary), *map(str, args)], cwd=cwd, check=True, capture_output=True, text=True)
        return json.loads(out.stdout) if json_out else out.stdout

    return run


@pytest.fixture
def interrupt():
    """Runs `code` in a new Python, sends it SIGINT `after` seconds past its "ready" line, and
    returns (its exit status, its output, the seconds it took to stop after the signal)."""
    import signal
    import sys
    import time

    def default_sigint():
        # A shell that starts the tests in the background ignores SIGINT, and a child keeps an
        # ignored signal across exec (Python then installs no KeyboardInterrupt handler): give
        # the child the default disposition, as a terminal's Ctrl-C would find it.
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    def run(code, after):
        p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, preexec_fn=default_sigint)
        assert p.stdout.readline().strip() == "ready"
        time.sleep(after)
        sent = time.monotonic()
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=60)
        return p.returncode, out, time.monotonic() - sent

    return run
