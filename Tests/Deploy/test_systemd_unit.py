"""deploy/crow-calls.service: systemd accepts it, and it keeps its sandbox.

`systemd-analyze verify` checks a copy of the unit whose ExecStart names the built gateway (verify
insists the executable exists; the shipped unit names /usr/local/bin/crow-calls), with no warning
about the unit, such as an unknown or misspelt key. The commented-out options for port 443 and for
TLS credentials are verified the same way, switched on. The unit is then read line by line: every
hardening option docs/DEPLOY.md describes must be set to its value, so an edit that drops or weakens
one fails here. `systemd-analyze security --offline` scores the sandbox as a whole.

A missing `systemd-analyze` is a failure, not a skip: tools/bootstrap.sh installs it (the `systemd`
package). Run by tools/test.sh; on its own:

    .venv/bin/python -m pytest Tests/Deploy -q

The gateway binary comes from .build/debug (or $CROW_BIN_DIR).
"""
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "PythonSupport"))
from crow_gateway import BIN, ROOT  # noqa: E402

UNIT = ROOT / "deploy" / "crow-calls.service"
INSTALLED_BINARY = "/usr/local/bin/crow-calls"

# What the sandbox must keep: key -> its value in the unit (the last assignment counts, as in systemd).
HARDENING = {
    "DynamicUser": "yes",
    "StateDirectory": "crow-calls",
    "StateDirectoryMode": "0700",
    "UMask": "0077",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "NoNewPrivileges": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "ProtectClock": "yes",
    "ProtectHostname": "yes",
    "ProtectProc": "invisible",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "RestrictNamespaces": "yes",
    "RestrictRealtime": "yes",
    "RestrictSUIDSGID": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "SystemCallArchitectures": "native",
    "SystemCallFilter": "@system-service",
    "CapabilityBoundingSet": "",
    "Restart": "on-failure",
    "EnvironmentFile": "-/etc/crow-calls/env",
}


def parse(text):
    """{(section, key): [values in order]} of a unit file: comments and blank lines skipped, lines
    ending in a backslash joined, as systemd reads them."""
    entries = {}
    section = None
    pending = ""
    for raw in text.splitlines():
        line = (pending + raw.strip()) if pending else raw.strip()
        pending = ""
        if not line or line[0] in "#;":
            continue
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        assert sep, f"not a key=value line: {line!r}"
        entries.setdefault((section, key.strip()), []).append(value.strip())
    return entries


def last(entries, key, section="Service"):
    values = entries.get((section, key))
    return values[-1] if values else None


def seconds(value):
    """A systemd time span such as `30s`, `1min 30s` or `90`, in seconds."""
    units = {"": 1, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600}
    total = 0
    for number, unit in re.findall(r"(\d+)\s*([a-z]*)", value):
        total += int(number) * units[unit]
    return total


@pytest.fixture(scope="module")
def systemd_analyze():
    path = shutil.which("systemd-analyze")
    if path is None:
        pytest.fail(
            "systemd-analyze is not installed, so the unit cannot be verified. It comes with the Debian "
            "package `systemd`: run `bash tools/bootstrap.sh` (or `apt-get install systemd`)."
        )
    return path


@pytest.fixture(scope="module")
def gateway_binary():
    binary = BIN / "crow-calls"
    if not binary.is_file():
        pytest.fail(f"no gateway binary at {binary}: build it first (swift build), or set CROW_BIN_DIR")
    return binary


def verify(systemd_analyze, directory, text):
    """Writes `text` as crow-calls.service in `directory` and runs `systemd-analyze verify` on it.
    Returns the exit status and the lines of output that are about this unit."""
    unit = directory / "crow-calls.service"
    unit.write_text(text)
    run = subprocess.run(
        # --recursive-errors=no: judge this unit, not the host's targets it is ordered after.
        [systemd_analyze, "verify", "--recursive-errors=no", str(unit)],
        capture_output=True, text=True, timeout=120, cwd=directory,
    )
    output = (run.stdout + run.stderr).splitlines()
    about_unit = [line for line in output if "crow-calls.service" in line or "Unknown" in line]
    return run.returncode, about_unit, "\n".join(output)


def with_binary(text, binary):
    """The unit with ExecStart pointing at `binary` instead of the installed path."""
    assert f"ExecStart={INSTALLED_BINARY} " in text
    return text.replace(f"ExecStart={INSTALLED_BINARY} ", f"ExecStart={binary} ", 1)


def test_systemd_analyze_verify_accepts_the_unit(systemd_analyze, gateway_binary, tmp_path):
    status, problems, output = verify(systemd_analyze, tmp_path, with_binary(UNIT.read_text(), gateway_binary))
    assert status == 0, output
    assert problems == [], output


def test_the_commented_options_for_port_443_and_tls_credentials_verify_when_switched_on(
    systemd_analyze, gateway_binary, tmp_path
):
    text = with_binary(UNIT.read_text(), gateway_binary)
    switched = [
        "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
        "AmbientCapabilities=CAP_NET_BIND_SERVICE",
        "LoadCredential=tls.crt:/etc/crow-calls/tls.crt",
        "LoadCredential=tls.key:/etc/crow-calls/tls.key",
        "Environment=CROW_CALLS_TLS_CERT=%d/tls.crt CROW_CALLS_TLS_KEY=%d/tls.key",
    ]
    for line in switched:
        assert f"\n#{line}\n" in text, f"the unit no longer offers `#{line}`"
        text = text.replace(f"\n#{line}\n", f"\n{line}\n")
    status, problems, output = verify(systemd_analyze, tmp_path, text)
    assert status == 0, output
    assert problems == [], output
    entries = parse(text)
    assert last(entries, "CapabilityBoundingSet") == "CAP_NET_BIND_SERVICE"
    assert last(entries, "AmbientCapabilities") == "CAP_NET_BIND_SERVICE"


def test_verify_reports_a_misspelt_key_so_the_checks_above_mean_something(systemd_analyze, gateway_binary, tmp_path):
    text = with_binary(UNIT.read_text(), gateway_binary).replace("ProtectSystem=strict", "ProtectSystm=strict")
    status, problems, output = verify(systemd_analyze, tmp_path, text)
    assert any("ProtectSystm" in line for line in problems), (status, output)


def test_the_unit_keeps_every_hardening_option():
    entries = parse(UNIT.read_text())
    missing = {key: want for key, want in HARDENING.items() if last(entries, key) != want}
    assert not missing, "hardening options missing or changed (key: expected value): " + repr(
        {key: (want, last(entries, key)) for key, want in missing.items()}
    )
    # No capability is granted while the gateway listens on its default, unprivileged port.
    assert last(entries, "AmbientCapabilities") is None


def test_the_unit_runs_the_installed_gateway_on_its_state_directory():
    entries = parse(UNIT.read_text())
    assert last(entries, "ExecStart") == f"{INSTALLED_BINARY} serve --data-dir /var/lib/crow-calls"
    assert last(entries, "WantedBy", section="Install") == "multi-user.target"
    # A refused configuration (exit status 64) is not restarted in a loop.
    assert "64" in last(entries, "RestartPreventExitStatus").split()


def test_the_stop_timeout_covers_the_graceful_shutdown():
    # On SIGTERM the gateway closes sockets, then retries recording who left for up to 5 s, one
    # write of which may wait 10 s for the ledger's lock; the timeout must not cut that short.
    stop = last(parse(UNIT.read_text()), "TimeoutStopSec")
    assert stop is not None and seconds(stop) >= 20, stop
    assert last(parse(UNIT.read_text()), "KillSignal") in (None, "SIGTERM")


def test_systemd_scores_the_sandbox_as_ok(systemd_analyze, gateway_binary, tmp_path):
    unit = tmp_path / "crow-calls.service"
    unit.write_text(with_binary(UNIT.read_text(), gateway_binary))
    # Exposure is scored 0.0 (locked down) to 10.0; the threshold is in tenths. The unit scores 1.6.
    run = subprocess.run(
        [systemd_analyze, "security", "--offline=yes", "--threshold=20", "--no-pager", str(unit)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert run.returncode == 0, "exposure above 2.0:\n" + run.stdout + run.stderr
