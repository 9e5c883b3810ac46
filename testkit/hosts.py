"""Hosts for multi-host tests: Linux network namespaces, each with its own
address on a private /24, joined by veth pairs to a bridge in the root
namespace (which holds .1, so the test itself can reach every host).

Everything is named with a per-run prefix and removed on exit, also when the
test fails. Needs root and `ip` (iproute2): without them the test is skipped,
except under CI=true, where that fails the run.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest

from testkit.server import wait_until


def _ip(*args: str, namespace: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    command = ["ip", "netns", "exec", namespace, "ip", *args] if namespace else ["ip", *args]
    return subprocess.run(command, check=check, capture_output=True, text=True)


def require_namespaces() -> None:
    """Skip (fail under CI=true) unless this process may create network namespaces."""
    problem = None
    if shutil.which("ip") is None:
        problem = "`ip` (iproute2) not found"
    elif os.geteuid() != 0:
        problem = "creating network namespaces needs root"
    else:
        probe = f"pcprobe{secrets.token_hex(3)}"
        made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
        if made.returncode != 0:
            problem = f"`ip netns add` failed: {made.stderr.strip()}"
        else:
            subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    if problem:
        message = f"multi-host test: {problem}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def free_subnet() -> ipaddress.IPv4Network:
    """A private /24 (in 10/8, else 172.16/12) that overlaps no route of this machine."""
    routes = _ip("-4", "route", "show", "table", "all").stdout.split()
    taken = []
    for word in routes:
        with suppress(ValueError):
            taken.append(ipaddress.ip_network(word, strict=False))
    for attempt in range(400):
        second = secrets.randbelow(200) + 50 if attempt < 200 else secrets.randbelow(16) + 16
        candidate = ipaddress.ip_network(f"{10 if attempt < 200 else 172}.{second}.{secrets.randbelow(250) + 1}.0/24")
        if not any(candidate.overlaps(t) for t in taken if t.prefixlen > 0):
            return candidate
    raise RuntimeError("no free private /24 for the test network")


class Host:
    """One network namespace with one address (`ip`), reachable from the others."""

    def __init__(self, network: Network, name: str, namespace: str, ip: str, veth: str):
        self.network, self.name, self.namespace, self.ip, self.veth = network, name, namespace, ip, veth

    def command(self, args: list[str]) -> list[str]:
        """`args` run inside this host."""
        return ["ip", "netns", "exec", self.namespace, *args]

    def popen(self, args: list[str], **kwargs) -> subprocess.Popen:
        return subprocess.Popen(self.command(args), **kwargs)

    def run(self, args: list[str], **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(args), **kwargs)

    def pids(self) -> list[int]:
        listed = subprocess.run(["ip", "netns", "pids", self.namespace], capture_output=True, text=True)
        return [int(p) for p in listed.stdout.split()]

    def kill(self, timeout: float = 10, *, silently: bool = False) -> None:
        """The host dies: SIGKILL every process in it, then its link goes
        down; its peers see the connections closed. `silently`: the link goes
        down first, so no peer hears anything (the host lost power or its
        network) and each finds out by its own timeouts."""
        if silently:
            self.unplug()
        for pid in self.pids():
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not self.pids(), timeout, what=f"every process on {self.name} to die")
        self.unplug()

    def unplug(self) -> None:
        """Take the host off the network: its packets go nowhere and nothing
        is sent to its peers, which find out by their own timeouts."""
        _ip("link", "set", self.veth, "down", check=False)

    def plug(self) -> None:
        """Put the host back on the network."""
        _ip("link", "set", self.veth, "up")


class Network:
    """Hosts on one bridge; use as a context manager (teardown removes all)."""

    def __init__(self) -> None:
        self.prefix = f"pc{secrets.token_hex(3)}"
        self.subnet = free_subnet()
        self.bridge = f"{self.prefix}br"
        self.hosts: list[Host] = []
        self.gateway = str(self.subnet.network_address + 1)

    def __enter__(self) -> Network:
        try:
            _ip("link", "add", self.bridge, "type", "bridge")
            _ip("addr", "add", f"{self.gateway}/{self.subnet.prefixlen}", "dev", self.bridge)
            _ip("link", "set", self.bridge, "up")
        except subprocess.CalledProcessError:
            self.__exit__()
            raise
        return self

    def add(self, name: str) -> Host:
        number = len(self.hosts) + 2
        namespace, veth = f"{self.prefix}-{name}", f"{self.prefix}v{number}"
        ip = str(self.subnet.network_address + number)
        subprocess.run(["ip", "netns", "add", namespace], check=True, capture_output=True)
        host = Host(self, name, namespace, ip, veth)
        self.hosts.append(host)
        _ip("link", "add", veth, "type", "veth", "peer", "name", f"{veth}p")
        _ip("link", "set", f"{veth}p", "netns", namespace)
        _ip("link", "set", veth, "master", self.bridge)
        _ip("link", "set", veth, "up")
        _ip("link", "set", "lo", "up", namespace=namespace)
        _ip("link", "set", f"{veth}p", "name", "eth0", namespace=namespace)
        _ip("addr", "add", f"{ip}/{self.subnet.prefixlen}", "dev", "eth0", namespace=namespace)
        _ip("link", "set", "eth0", "up", namespace=namespace)
        return host

    def __exit__(self, *exc) -> None:
        for host in self.hosts:
            with suppress(Exception):
                host.kill()
            subprocess.run(["ip", "netns", "del", host.namespace], capture_output=True)
            _ip("link", "del", host.veth, check=False)
        _ip("link", "del", self.bridge, check=False)


@contextmanager
def network() -> Iterator[Network]:
    require_namespaces()
    with Network() as net:
        yield net
