"""tools/package.sh: the release tarball runs on a machine without Swift.

The tarball is $CROW_PACKAGE when it is set (tools/test.sh makes it once with tools/package.sh);
otherwise the first test that needs it runs tools/package.sh itself, which is a release build.

What a self-hoster does with it, each step checked:
- unpack it: it holds the two binaries, the systemd unit and DEPLOY.md as shipped, and DEPENDS;
- the binaries load nothing from the Swift toolchain, every library they load belongs to a Debian
  package, and DEPENDS names the package of each library they ask for by name;
- `crow-calls serve` starts in a network namespace of its own whose file system has an empty
  /opt/swift (the toolchain hidden under a tmpfs) and no Swift on PATH, prints the setup link and
  answers `/readyz` 200; `crow-ledger verify` then checks the ledger it wrote.
A control run proves the hiding works: the debug build, which loads the Swift runtime from
/opt/swift, cannot start in the same place.
- the same on a plain Debian 12: a minimal root made by debootstrap, with only the packages DEPENDS
  names installed, entered with chroot inside the namespace. This one needs Debian's mirror (as
  tools/bootstrap.sh does); it is skipped, with the reason, when debootstrap cannot download.

Needs root (namespaces and mounts), as the two-host suite does; without it the tests fail.
"""
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import time

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "PythonSupport"))
from crow_gateway import BIN, ROOT  # noqa: E402

PLAIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    given = os.environ.get("CROW_PACKAGE")
    if given:
        path = pathlib.Path(given)
        assert path.is_file(), f"CROW_PACKAGE={given} is not a file"
        return path
    out = tmp_path_factory.mktemp("dist")
    made = subprocess.run(["bash", str(ROOT / "tools" / "package.sh"), "--output", str(out)],
                          capture_output=True, text=True, timeout=3600)
    assert made.returncode == 0, made.stderr[-4000:]
    return pathlib.Path(made.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def unpacked(tarball, tmp_path_factory):
    where = tmp_path_factory.mktemp("unpacked")
    with tarfile.open(tarball) as archive:
        archive.extractall(where, filter="data")
    (top,) = list(where.iterdir())
    return top


def test_tarball_holds_the_binaries_the_unit_the_guide_and_its_dependencies(tarball, unpacked):
    assert tarball.name.startswith("crow-calls-") and tarball.name.endswith(".tar.gz")
    names = sorted(str(p.relative_to(unpacked)) for p in unpacked.rglob("*") if p.is_file())
    assert names == ["DEPENDS", "DEPLOY.md", "bin/crow-calls", "bin/crow-ledger", "crow-calls.service"]
    assert (unpacked / "crow-calls.service").read_bytes() == (ROOT / "deploy" / "crow-calls.service").read_bytes()
    assert (unpacked / "DEPLOY.md").read_bytes() == (ROOT / "docs" / "DEPLOY.md").read_bytes()
    for tool in ("crow-calls", "crow-ledger"):
        assert os.access(unpacked / "bin" / tool, os.X_OK)
    depends = (unpacked / "DEPENDS").read_text().split()
    # The libraries the gateway is known to load; more (libc, libstdc++, zlib) are fine.
    for package in ("libc6", "libsqlite3-0", "libsecp256k1-1", "libssl3", "libcurl4"):
        assert package in depends, depends


def owning_package(path):
    for candidate in (os.path.realpath(path), path):
        owner = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if owner.returncode == 0:
            return owner.stdout.split(":")[0]
    return None


def test_binaries_load_nothing_from_swift_and_depends_names_what_they_ask_for(unpacked):
    depends = set((unpacked / "DEPENDS").read_text().split())
    for tool in ("crow-calls", "crow-ledger"):
        binary = unpacked / "bin" / tool
        listing = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True).stdout
        assert "swift" not in listing.lower(), listing
        assert "not found" not in listing, listing
        resolved = {}
        for line in listing.splitlines():
            parts = line.split()
            if len(parts) > 2 and parts[1] == "=>":
                resolved[parts[0]] = parts[2]
            elif parts and parts[0].startswith("/"):
                resolved[os.path.basename(parts[0])] = parts[0]
        # Everything it loads, directly or not, comes from a Debian package.
        for soname, path in resolved.items():
            assert owning_package(path), f"{tool}: no package owns {path} ({soname})"
        # What it asks for by name is in DEPENDS; apt brings what those need.
        dynamic = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True, check=True).stdout
        needed = [line.split("[")[1].rstrip("]") for line in dynamic.splitlines() if "(NEEDED)" in line]
        assert "libsqlite3.so.0" in needed
        for soname in needed:
            assert soname in resolved, f"{tool}: {soname} did not resolve"
            package = owning_package(resolved[soname])
            assert package in depends, f"{tool} needs {soname} from {package}, which DEPENDS does not name"


class Namespace:
    """A network namespace with only loopback: a machine of its own for the gateway."""

    def __init__(self):
        self.name = f"crowpkg{os.getpid()}"
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"], check=True)

    def without_swift(self, *command):
        """`command` in the namespace, in a mount namespace where /opt/swift is an empty tmpfs."""
        script = 'mount -t tmpfs -o size=1m,mode=0755 none /opt/swift && exec "$@"'
        return ["ip", "netns", "exec", self.name, "unshare", "--mount", "--propagation", "private",
                "sh", "-c", script, "sh"] + [str(part) for part in command]

    def inside(self, *command):
        return ["ip", "netns", "exec", self.name] + [str(part) for part in command]

    def delete(self):
        pids = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True, text=True).stdout.split()
        for pid in pids:
            subprocess.run(["kill", "-9", pid], check=False)
        subprocess.run(["ip", "netns", "del", self.name], check=False)


@pytest.fixture
def namespace():
    made = Namespace()
    yield made
    made.delete()


def ready_status(namespace, port):
    probe = subprocess.run(
        namespace.inside("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2",
                         f"http://127.0.0.1:{port}/readyz"),
        capture_output=True, text=True)
    return probe.stdout.strip()


def serve_then_verify(namespace, run_in, binaries, data, log, environment):
    """Starts `crow-calls serve` through `run_in` (which wraps a command for the place under test),
    waits for `/readyz` 200, the setup link and SQLite's multi-thread mode in its log, stops it with
    SIGTERM (it must exit 0), then runs `crow-ledger verify` on the ledger it wrote."""
    with open(log, "w") as output:
        gateway = subprocess.Popen(run_in(f"{binaries}/crow-calls", "serve", "--data-dir", data, "--port", "8444"),
                                   stdout=output, stderr=subprocess.STDOUT, env=environment)
    try:
        deadline = time.monotonic() + 60
        status = ""
        while time.monotonic() < deadline and gateway.poll() is None:
            status = ready_status(namespace, 8444)
            if status == "200":
                break
            time.sleep(0.2)
        assert status == "200", f"/readyz answered {status!r}; exit {gateway.poll()}; log:\n{log.read_text()[-3000:]}"
        assert "/setup?token=" in log.read_text(), log.read_text()[-3000:]
        # The statically linked binary set SQLite's threading mode as it loaded (CSQLiteSetup).
        assert "sqlite_threading=multi-thread" in log.read_text(), log.read_text()[-3000:]
    finally:
        gateway.terminate()
        try:
            gateway.wait(timeout=30)
        except subprocess.TimeoutExpired:
            gateway.kill()
            gateway.wait()
    assert gateway.returncode == 0, log.read_text()[-3000:]
    verified = subprocess.run(run_in(f"{binaries}/crow-ledger", "verify", "--data-dir", data),
                              capture_output=True, text=True, env=environment, timeout=120)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "OK: hash chain, projections and rules verified" in verified.stdout


def test_the_unpacked_gateway_serves_where_swift_is_hidden(unpacked, namespace, tmp_path):
    environment = {"PATH": PLAIN_PATH, "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    hidden = subprocess.run(namespace.without_swift("sh", "-c", "ls -A /opt/swift | wc -l; command -v swift || true"),
                            capture_output=True, text=True, env=environment, check=True)
    assert hidden.stdout.split() == ["0"], hidden.stdout

    serve_then_verify(namespace, namespace.without_swift, unpacked / "bin", tmp_path / "data", tmp_path / "serve.log", environment)


@pytest.fixture(scope="module")
def plain_debian(unpacked, tmp_path_factory):
    """A minimal Debian 12 root (debootstrap), the unpacked release installed the way DEPLOY.md says."""
    if shutil.which("debootstrap") is None:
        pytest.fail("debootstrap missing: tools/bootstrap.sh installs it")
    root = tmp_path_factory.mktemp("debian12")
    made = subprocess.run(["debootstrap", "--variant=minbase", "bookworm", str(root), "http://deb.debian.org/debian"],
                          capture_output=True, text=True, timeout=900)
    if made.returncode != 0 and ("Failed getting release file" in made.stdout + made.stderr
                                 or "Couldn't download" in made.stdout + made.stderr):
        pytest.skip("debootstrap could not download from deb.debian.org: " + (made.stdout + made.stderr)[-300:])
    assert made.returncode == 0, (made.stdout + made.stderr)[-3000:]
    assert not (root / "opt" / "swift").exists()
    shutil.copy("/etc/resolv.conf", root / "etc" / "resolv.conf")
    packages = (unpacked / "DEPENDS").read_text().split()
    environment = {"PATH": PLAIN_PATH, "DEBIAN_FRONTEND": "noninteractive", "LANG": "C.UTF-8"}
    for step in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + packages):
        done = subprocess.run(["chroot", str(root)] + step, capture_output=True, text=True, env=environment, timeout=900)
        assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    for tool in ("crow-calls", "crow-ledger"):
        shutil.copy2(unpacked / "bin" / tool, root / "usr" / "local" / "bin" / tool)
    return root


def test_the_release_serves_on_a_plain_debian_with_only_its_depends(plain_debian, namespace):
    environment = {"PATH": PLAIN_PATH, "HOME": "/root", "LANG": "C.UTF-8"}
    # /proc and /dev for the gateway, mounted in a mount namespace of its own so nothing leaks out.
    script = ('mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" && '
              'exec chroot "$0" "$@"')

    def in_root(*command):
        return namespace.inside("unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                                str(plain_debian), *command)

    serve_then_verify(namespace, in_root, "/usr/local/bin", "/var/lib/crow-calls", plain_debian / "serve.log", environment)


def test_control_a_toolchain_linked_build_cannot_start_there(namespace, tmp_path):
    debug = BIN / "crow-calls"
    if not debug.exists():
        pytest.fail(f"{debug} missing: swift build (the control needs the debug build)")
    listing = subprocess.run(["ldd", str(debug)], capture_output=True, text=True).stdout
    assert "/opt/swift" in listing, "the debug build no longer loads the Swift runtime from /opt/swift: pick another control"
    environment = {"PATH": PLAIN_PATH, "HOME": str(tmp_path)}
    run = subprocess.run(namespace.without_swift(debug, "--help"), capture_output=True, text=True, env=environment, timeout=60)
    assert run.returncode != 0
    assert "libswift" in run.stderr, run.stderr
