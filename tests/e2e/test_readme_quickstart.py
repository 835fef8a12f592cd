"""README's quick start works exactly as written on a fresh clone, on a machine where `uv`
is not on PATH: `make run` (which installs), `.venv/bin/herald tenant create …`, then the
Python example answers 202.

The clone is of the repository's committed HEAD (uncommitted changes are not in it, as in
CI). The only changes made to what README says: the server listens on a free port (README's
`PORT=… make run`) so that it cannot meet another server on 8080, and the placeholders of
the Python example (the key, the remitter id, that port) are filled in, as a reader would."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from support import free_port, wait_until

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"


def code_blocks(section: str) -> list[tuple[str, str]]:
    """(language, text) of each fenced block under README's `## <section>` heading."""
    text = README.read_text()
    start = text.index(f"\n## {section}\n")
    end = text.find("\n## ", start + 1)
    body = text[start : end if end != -1 else None]
    return re.findall(r"```(\w+)\n(.*?)```", body, re.S)


def shell_commands(block: str) -> list[str]:
    lines = [line.split("  #")[0].strip() for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def path_without_uv(tmp: Path) -> str:
    """`python3` (the real interpreter), make, git and the usual tools; no uv."""
    real = subprocess.run(
        ["python3", "-c", "import sys; print(sys.executable)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(real)
    path = os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"])
    assert shutil.which("uv", path=path) is None, "uv is on the test PATH"
    assert shutil.which("make", path=path) and shutil.which("git", path=path)
    return path


def clean_env(path: str) -> dict[str, str]:
    """The user's environment (proxies, certificates, caches) as a new shell would have it:
    no virtualenv of ours, no HERALD_* settings of the test run, and `path` as PATH."""
    dropped = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT", "UV_RUN")
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in dropped and not name.startswith("HERALD_")
    }
    return {**env, "PATH": path}


@pytest.mark.slow
def test_the_quick_start_works_as_written_from_a_fresh_clone_without_uv(tmp_path: Path) -> None:
    if not (REPO / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    clone = tmp_path / "herald"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    env = clean_env(path_without_uv(tmp_path))
    port = free_port()

    (two_commands,) = [text for lang, text in code_blocks("Two commands") if lang == "sh"]
    (make_run,) = [c for c in shell_commands(two_commands) if c.startswith("make run")]
    log = (tmp_path / "make-run.log").open("wb")
    server = subprocess.Popen(
        ["bash", "-c", make_run],
        cwd=clone,
        env={**env, "PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: make, uv and herald stop together
    )
    try:
        wait_until(lambda: _ready(server, port, tmp_path), timeout=240, interval=0.5)
        blocks = code_blocks("Send a first campaign")
        (shell,) = [text for lang, text in blocks if lang == "sh"]
        (tenant_command,) = shell_commands(shell)
        tenant = json.loads(_run(tenant_command, clone, env))
        example = next(text for lang, text in blocks if lang == "python")
        example = example.replace("hk_live_…", tenant["api_key"])
        example = example.replace("<remitter_id>", tenant["remitter_id"])
        example = example.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
        (clone / "first.py").write_text(example)
        printed = _run(".venv/bin/python first.py", clone, env)
        assert printed.startswith("202 "), printed
    finally:
        _stop(server)
        log.close()


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stops the process group of `make run` (make, uv and herald serve)."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            return
        try:
            server.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _run(command: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{command!r} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _ready(server: subprocess.Popen[bytes], port: int, tmp_path: Path) -> bool:
    if server.poll() is not None:
        output = (tmp_path / "make-run.log").read_text(errors="replace")
        raise AssertionError(f"make run exited with {server.returncode}:\n{output[-3000:]}")
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
