"""`crow-bench all --quick`: every benchmark part runs, and the one report holds every target.

A smoke test of the tool, not of performance: the sizes are tiny and the figures mean nothing. It
checks that each part (ledger, startup with the idle memory, signaling at two sizes, invites, the bell) ran to the end, that every target of
the performance table has a row with a result, and that each MISS says why from the run's figures.
"""

import pathlib
import re
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "PythonSupport"))
from crow_gateway import BIN, ROOT  # noqa: E402

TARGETS = [
    "durable single appends vs raw SQLite FULL",
    "durable single appends vs Python eventsourcing",
    "64-writer group commit vs single appends",
    "64-writer group commit vs one-caller batches",
    "rebuild in place",
    "rebuild snapshot",
    "rebuild snapshot vs the bare SQLite scan",
    "incoming last hour, p99 via EventStore.read",
    "serve -> /readyz 200 at",
    "flat: start on the large ledger vs an empty one",
    "relay p99 at",
    "relay throughput vs the Python relay",
    "Swift echo throughput vs the relay's",
    "memory per idle socket",
    "Call → the other gateway's toast (stream `received`), local relay, p50",
    "Call → the other gateway's toast (stream `received`), local relay, p95",
    "resident memory, idle after start",
    "resident memory, 10 live rooms",
    "resident memory, idle after start at",
    "bell 304 path vs a bare route",
    "bell 200 path vs a bare route",
]


def test_quick_suite_reports_every_target(tmp_path):
    report = tmp_path / "report.md"
    run = subprocess.run(
        [str(BIN / "crow-bench"), "all", "--quick", "--markdown-file", str(report), "--dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    text = report.read_text()
    assert text == run.stdout
    assert "Smoke run" in text and "commit " in text and "SQLite 3." in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and line.rstrip().endswith(("PASS |", "MISS |", "SKIP |"))]
    for target in TARGETS:
        matching = [row for row in rows if row.startswith("| " + target)]
        assert matching, f"no row for {target!r} in\n{text}"
    # Every part reported its figures, with min and max beside the median.
    for part in ["ledger", "startup", "signaling", "invites", "bell"]:
        assert f"#### Figures: {part}" in text
    assert re.search(r"\| ledger single-event appends, FULL \| [\d,.]+ \| [\d,.]+ \| [\d,.]+ \| events/s \|", text)
    # Each MISS is explained from the same run's figures.
    misses = [row.split(" | ")[0][2:] for row in rows if row.rstrip().endswith("MISS |")]
    if misses:
        assert "Why each MISS, from the same run:" in text
        reasons = text.split("Why each MISS, from the same run:")[1].split("####")[0]
        for name in misses:
            base = name.split(" (")[0]
            assert base in reasons, f"{base!r} is missed without a reason"
    # Nothing is left behind in the benchmark's directory.
    assert not list(tmp_path.glob("crow-bench.*"))
