"""The files a secure Flower deployment needs, made with the ``cryptography`` package:
``wgan federated keys DIR --nodes N [--host NAME ...]``.

- ``ca.crt`` / ``ca.key``: a certificate authority of this deployment alone. Every SuperNode
  and ``flwr`` trust it (``--root-certificates``, ``root-certificates``); nothing else does.
- ``server.crt`` / ``server.key``: the SuperLink's TLS certificate, signed by the CA, valid
  for the given host names and addresses plus ``127.0.0.1`` and ``localhost`` (the SuperLink
  itself connects to its own port on 127.0.0.1 to start the ServerApp, so that one is needed
  even across machines).
- ``node-K.key`` / ``node-K.pub`` for K = 0 … N−1: each SuperNode's ECDSA P-384 key pair in
  OpenSSH format, what Flower 1.41 reads: ``flower-supernode --auth-supernode-private-key``
  loads the private key with ``load_ssh_private_key`` (unencrypted, an EC key),
  ``flwr supernode register`` the public key with ``load_ssh_public_key`` (a NIST curve).

Flower 1.41 reads no list of allowed keys: the SuperLink started with
``--enable-supernode-auth`` accepts exactly the public keys registered with ``flwr supernode
register`` (its ``--auth-list-public-keys`` now refuses to start).

Nothing is overwritten: every target is checked before the first file is written, and each
file is created exclusively (private keys readable by their owner only).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
from pathlib import Path
from typing import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from wgan_core.errors import ConfigError, DataError

#: Hosts every server certificate is valid for, besides the ones asked for.
LOCAL_HOSTS = ("127.0.0.1", "localhost")
#: P-384: what Flower's own documentation generates for SuperNodes (``ssh-keygen -t ecdsa
#: -b 384``); used for the CA and the server too, one curve for everything.
CURVE = ec.SECP384R1
#: A DNS name as a certificate holds it: ASCII labels of letters, digits and inner hyphens,
#: optionally a leading ``*.`` wildcard.
DNS_NAME = re.compile(r"(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
                      r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
CA_DAYS = 3650
SERVER_DAYS = 825  # the longest lifetime browsers and most TLS stacks still accept


def subject_alt_names(hosts: Sequence[str]) -> list[x509.GeneralName]:
    """The server certificate's SANs: each host as an IP address when it parses as one (TLS
    clients match an address only against IP entries), else as a DNS name; then 127.0.0.1 and
    localhost; no duplicates."""
    names: list[x509.GeneralName] = []
    for host in [*hosts, *LOCAL_HOSTS]:
        host = host.strip()
        try:
            name: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            if not DNS_NAME.fullmatch(host):
                raise ConfigError(f"--host '{host}' is not a host name or an IP address (give "
                                  f"it without port or scheme; a non-ASCII name in its "
                                  f"xn-- form)") from None
            name = x509.DNSName(host.lower())
        if name not in names:
            names.append(name)
    return names


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wgan federated"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: x509.Name, key: ec.EllipticCurvePrivateKey, issuer: x509.Name,
                 issuer_key: ec.EllipticCurvePrivateKey, days: int,
                 extensions: list[tuple[x509.ExtensionType, bool]]) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               # an hour back: a node whose clock is a little behind still accepts it
               .not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   issuer_key.public_key()), critical=False))
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA384())


def _usage(**allowed: bool) -> x509.KeyUsage:
    flags = dict.fromkeys(("digital_signature", "content_commitment", "key_encipherment",
                           "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign",
                           "encipher_only", "decipher_only"), False)
    flags.update(allowed)
    return x509.KeyUsage(**flags)


def make_keys(nodes: int, hosts: Sequence[str] = ()) -> dict[str, bytes]:
    """The contents of every file, by name (``key_files(nodes)``), made in memory."""
    if nodes < 1:
        raise ConfigError(f"--nodes must be at least 1, got {nodes}")
    sans = subject_alt_names(hosts)
    ca_key = ec.generate_private_key(CURVE())
    ca_name = _name("wgan federated CA")
    ca = _certificate(ca_name, ca_key, ca_name, ca_key, CA_DAYS, [
        (x509.BasicConstraints(ca=True, path_length=0), True),
        (_usage(digital_signature=True, key_cert_sign=True, crl_sign=True), True)])
    server_key = ec.generate_private_key(CURVE())
    first = sans[0]
    server = _certificate(_name(str(first.value)), server_key, ca_name, ca_key, SERVER_DAYS, [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (_usage(digital_signature=True), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        (x509.SubjectAlternativeName(sans), False)])

    def pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    files = {"ca.crt": ca.public_bytes(serialization.Encoding.PEM), "ca.key": pem_key(ca_key),
             "server.crt": server.public_bytes(serialization.Encoding.PEM),
             "server.key": pem_key(server_key)}
    for k in range(nodes):
        key = ec.generate_private_key(CURVE())
        files[f"node-{k}.key"] = key.private_bytes(serialization.Encoding.PEM,
                                                   serialization.PrivateFormat.OpenSSH,
                                                   serialization.NoEncryption())
        files[f"node-{k}.pub"] = key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        ) + f" wgan-node-{k}\n".encode()
    return files


def write_keys(directory: Path, nodes: int, hosts: Sequence[str] = ()) -> list[Path]:
    """Make the files and write them into ``directory`` (made if missing); the paths written.

    Refuses (DataError) when any of them exists, before writing anything; private keys get
    mode 0600."""
    directory = Path(directory)
    files = make_keys(nodes, hosts)  # bad input fails here, before the disk is touched
    if directory.exists() and not directory.is_dir():
        raise DataError(f"{directory} is not a directory")
    existing = [name for name in files if (directory / name).exists()
                or (directory / name).is_symlink()]
    if existing:
        raise DataError(f"{directory / existing[0]} already exists; keys are never "
                        f"overwritten (choose an empty directory)")
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in files.items():
        path = directory / name
        private = name.endswith(".key")
        # O_EXCL: a file that appeared since the check is still not overwritten
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        written.append(path)
    return written
