"""A small network of "machines" for the two-host suite: a Linux bridge in this (the test's) network
namespace, and one network namespace per household joined to it by a veth pair.

The segment is 100.88.<n>.0/24, inside Tailscale's 100.64.0.0/10, so it stands for a tailnet: the
gateways treat its addresses as a tailnet's (plain ws:// to the relay is allowed there). The bridge
itself has .1, where the test's relay listens; the households get .2, .3 and on. No namespace has a
default route: nothing but the segment is reachable from it.

Needs root (these machines run the tests as root). `available()` says whether namespaces can be made
here, and why not."""
import os
import subprocess


def run(*command, check=True):
    return subprocess.run(command, check=check, capture_output=True, text=True, timeout=30)


def available():
    """(True, "") when network namespaces can be made here, else (False, the reason)."""
    if os.geteuid() != 0:
        return False, "the two-host suite makes network namespaces, which needs root"
    probe = "crowprobe%d" % os.getpid()
    made = run("ip", "netns", "add", probe, check=False)
    if made.returncode != 0:
        return False, "cannot make a network namespace here: " + made.stderr.strip()
    run("ip", "netns", "del", probe, check=False)
    return True, ""


class Segment:
    """The bridge and its households. `host(name)` adds one and returns its address; `close()` removes
    everything it made, also after a failed test."""

    def __init__(self):
        tag = os.getpid() % 100000
        self.subnet = 100 + tag % 100  # third octet: runs of the suite side by side use different ones
        self.prefix = "100.88.%d" % self.subnet
        self.bridge = "crowbr%d" % tag
        self.address = self.prefix + ".1"
        self.namespaces = {}
        self._next = 2
        self._tag = tag
        run("ip", "link", "add", self.bridge, "type", "bridge")
        try:
            run("ip", "addr", "add", self.address + "/24", "dev", self.bridge)
            run("ip", "link", "set", self.bridge, "up")
        except Exception:
            self.close()
            raise

    def host(self, name):
        """A new namespace `crow<tag>-<name>` on the segment; returns (namespace, address)."""
        namespace = "crow%d-%s" % (self._tag, name)
        address = "%s.%d" % (self.prefix, self._next)
        outside = "crowv%d%d" % (self._tag, self._next)
        self._next += 1
        run("ip", "netns", "add", namespace)
        self.namespaces[namespace] = address
        run("ip", "link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", namespace)
        run("ip", "link", "set", outside, "master", self.bridge)
        run("ip", "link", "set", outside, "up")
        run("ip", "-n", namespace, "addr", "add", address + "/24", "dev", "eth0")
        run("ip", "-n", namespace, "link", "set", "eth0", "up")
        run("ip", "-n", namespace, "link", "set", "lo", "up")
        return namespace, address

    def close(self):
        for namespace in list(self.namespaces):
            # Whatever still runs inside (a browser that would not quit) goes with it.
            pids = run("ip", "netns", "pids", namespace, check=False).stdout.split()
            for pid in pids:
                run("kill", "-9", pid, check=False)
            run("ip", "netns", "del", namespace, check=False)
            del self.namespaces[namespace]
        run("ip", "link", "del", self.bridge, check=False)


def in_namespace(namespace, command):
    """`command` (a list) as run inside `namespace`."""
    return ["ip", "netns", "exec", namespace] + list(command)
