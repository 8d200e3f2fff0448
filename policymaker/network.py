"""The laptop's address on the room's network: what the phones must open.

``make run`` serves on every interface and asks this module for the address to
put on the projector, in the QR code and in ALLOWED_HOSTS (``LAN_ADDRESS``).
It only reads the machine's interface list (``ip``, else ``ifconfig``, else the
host name): it sends nothing on the network. No Django here, so the Makefile can
run it before Django starts: ``python -m policymaker.network``.
"""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import socket
import subprocess

# Interfaces that are not the room's network: containers, VMs, VPN tunnels.
VIRTUAL = re.compile(r"^(lo|docker|br-|veth|virbr|vmnet|vboxnet|tun|tap|wg|utun|zt|tailscale)")


def _from_ip() -> list[tuple[str, str]]:
    out = subprocess.run(
        ["ip", "-j", "-4", "addr", "show", "up"], capture_output=True, text=True, timeout=5
    )
    pairs = []
    for link in json.loads(out.stdout or "[]"):
        for info in link.get("addr_info", []):
            if info.get("family") == "inet":
                pairs.append((link.get("ifname", ""), info.get("local", "")))
    return pairs


def _from_ifconfig() -> list[tuple[str, str]]:
    out = subprocess.run(["ifconfig"], capture_output=True, text=True, timeout=5).stdout
    pairs, name = [], ""
    for line in out.splitlines():
        if line and not line[0].isspace():
            name = line.split(":")[0].split()[0]
        match = re.search(r"inet (?:addr:)?(\d+\.\d+\.\d+\.\d+)", line)
        if match:
            pairs.append((name, match.group(1)))
    return pairs


def _from_hostname() -> list[tuple[str, str]]:
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return []
    return [("", str(info[4][0])) for info in infos]


def interfaces() -> list[tuple[str, str]]:
    """(interface name, IPv4 address) for every interface that is up."""
    for source, tool in ((_from_ip, "ip"), (_from_ifconfig, "ifconfig")):
        if shutil.which(tool):
            try:
                return source()
            except (OSError, ValueError, subprocess.SubprocessError):
                continue
    return _from_hostname()


def lan_address(pairs: list[tuple[str, str]] | None = None) -> str:
    """The best address for phones in the room, or "" when there is none.

    A private address (a venue's or a hotspot's Wi-Fi) comes before any other;
    loopback, link-local (no DHCP answered) and virtual interfaces never count.
    """
    candidates = []
    for name, text in interfaces() if pairs is None else pairs:
        try:
            addr = ipaddress.IPv4Address(text)
        except ValueError:
            continue
        if addr.is_loopback or addr.is_link_local or addr.is_unspecified or VIRTUAL.match(name):
            continue
        candidates.append((not addr.is_private, text))
    # Private first; otherwise in the machine's own order of interfaces (stable sort).
    return sorted(candidates, key=lambda c: c[0])[0][1] if candidates else ""


if __name__ == "__main__":
    print(lan_address())
