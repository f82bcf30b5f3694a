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

    made = 0

    def __init__(self):
        # Names of their own for every segment, also within one process: the kernel tears a deleted
        # namespace's interfaces down in the background, so a name may still be taken for a moment.
        Segment.made += 1
        tag = (os.getpid() % 1000) * 100 + Segment.made % 100
        self.subnet = 100 + (os.getpid() + Segment.made) % 100  # third octet
        self.prefix = "100.88.%d" % self.subnet
        self.bridge = "crowbr%d" % tag
        self.address = self.prefix + ".1"
        self.namespaces = {}
        self.routes = []
        self.links = []
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
        quiet_ipv6(namespace)
        run("ip", "link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", namespace)
        self.links.append(outside)
        run("ip", "link", "set", outside, "master", self.bridge)
        run("ip", "link", "set", outside, "up")
        run("ip", "-n", namespace, "addr", "add", address + "/24", "dev", "eth0")
        run("ip", "-n", namespace, "link", "set", "eth0", "up")
        run("ip", "-n", namespace, "link", "set", "lo", "up")
        return namespace, address

    def host_behind_nat(self, name, open_to):
        """A household behind a home router: namespace `crow<tag>-<name>` on a LAN of its own
        (10.<subnet>.<k>.0/24) whose traffic leaves through a router namespace that masquerades it onto
        the segment. The router forwards only what `open_to` allows, as (address, protocol or None,
        port or None) triples, plus replies; everything else from the LAN is dropped, so the household
        has no direct path to the other households' browsers. The test (in this namespace) reaches the
        LAN's browser through the router on TCP 9515 only (chromedriver), its remote-control line.

        Returns (namespace, LAN address)."""
        router, outside_address = self.host(name + "-router")
        namespace = "crow%d-%s" % (self._tag, name)
        lan = "10.%d.%d" % (self.subnet, self._next)
        address = lan + ".2"
        run("ip", "netns", "add", namespace)
        self.namespaces[namespace] = address
        quiet_ipv6(namespace)
        run("ip", "-n", router, "link", "add", "lan0", "type", "veth", "peer", "name", "eth0", "netns", namespace)
        run("ip", "-n", router, "addr", "add", lan + ".1/24", "dev", "lan0")
        run("ip", "-n", router, "link", "set", "lan0", "up")
        run("ip", "-n", namespace, "addr", "add", address + "/24", "dev", "eth0")
        run("ip", "-n", namespace, "link", "set", "eth0", "up")
        run("ip", "-n", namespace, "link", "set", "lo", "up")
        run("ip", "-n", namespace, "route", "add", "default", "via", lan + ".1")
        run("ip", "netns", "exec", router, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        allowed = []
        for target, protocol, port in open_to:
            rule = 'iifname "lan0" ip daddr %s' % target
            if protocol:
                rule += " %s dport %d" % (protocol, port) if port else " meta l4proto %s" % protocol
            allowed.append("    " + rule + " accept")
        ruleset = "\n".join([
            "table ip crow {",
            "  chain forward {",
            "    type filter hook forward priority 0; policy drop;",
            "    ct state established,related accept",
            *allowed,
            '    iifname "eth0" ip saddr %s ip daddr %s tcp dport 9515 accept' % (self.address, address),
            "  }",
            "  chain postrouting {",
            "    type nat hook postrouting priority 100;",
            '    oifname "eth0" masquerade',
            "  }",
            "}",
        ]) + "\n"
        subprocess.run(["ip", "netns", "exec", router, "nft", "-f", "-"], input=ruleset, text=True, check=True,
                       capture_output=True, timeout=30)
        # This namespace (the test's) reaches the LAN through the router, for the remote-control line.
        run("ip", "route", "add", lan + ".0/24", "via", outside_address)
        self.routes.append(lan + ".0/24")
        return namespace, address

    def close(self):
        for route in self.routes:
            run("ip", "route", "del", route, check=False)
        self.routes = []
        # Deleting one end of a veth pair deletes both at once, before the namespaces go.
        for outside in self.links:
            run("ip", "link", "del", outside, check=False)
        self.links = []
        for namespace in list(self.namespaces):
            # Whatever still runs inside (a browser that would not quit) goes with it.
            pids = run("ip", "netns", "pids", namespace, check=False).stdout.split()
            for pid in pids:
                run("kill", "-9", pid, check=False)
            run("ip", "netns", "del", namespace, check=False)
            del self.namespaces[namespace]
        run("ip", "link", "del", self.bridge, check=False)


def quiet_ipv6(namespace):
    """No IPv6 in the namespace. The segment is IPv4; and an interface's IPv6 link-local address,
    which the kernel adds a moment after the link comes up, is a network change to a browser already
    running there, which then fails the page it is loading (ERR_NETWORK_CHANGED)."""
    run("ip", "netns", "exec", namespace, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
        "net.ipv6.conf.default.disable_ipv6=1")


def in_namespace(namespace, command):
    """`command` (a list) as run inside `namespace`."""
    return ["ip", "netns", "exec", namespace] + list(command)


class Cut:
    """Everything between a household and one address dropped, both ways, by nftables in the household's
    namespace, until `mend()`: the network under a call gone for a while (a laptop changing networks),
    while the test's own line to the household's browser (from the bridge's address) stays up."""

    def __init__(self, namespace, address):
        self.namespace = namespace
        self.table = "crowcut%d" % os.getpid()
        rules = (
            "table inet %s {\n"
            "  chain out { type filter hook output priority 0; ip daddr %s drop; }\n"
            "  chain in { type filter hook input priority 0; ip saddr %s drop; }\n"
            "}\n" % (self.table, address, address)
        )
        subprocess.run(["ip", "netns", "exec", namespace, "nft", "-f", "-"], input=rules, check=True,
                       capture_output=True, text=True, timeout=30)

    def mend(self):
        run("ip", "netns", "exec", self.namespace, "nft", "delete", "table", "inet", self.table, check=False)
