"""Mutual TLS: the client presents its certificate to a security server that demands one (the sandbox
behind uvicorn's TLS with `CERT_REQUIRED`), and gets nothing without it."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import uvicorn

from registry_client import errors
from registry_client.client import CallContext, ClientConfig, RegistryClient, make_http_client
from registry_client.identifiers import IdKind
from registry_client.sandbox import create_sandbox_app
from registry_client.wire import ExtractRequest, Subject
from tests.helpers import free_port

REQUEST = ExtractRequest(
    subject=Subject(
        id_kind=IdKind.RNOKPP,
        id_value="3302145670",
        full_name="Бондаренко Олег Васильович",
        birth_date=date(1990, 11, 3),
    ),
    purpose="Призначення житлової субсидії",
)
CONTEXT = CallContext(user_id="olena", issue="C-000001", idempotency_key="m" * 64)


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed: mutual TLS test skipped")
    where = tmp_path_factory.mktemp("pki")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=Test security server CA", cwd=where)  # fmt: skip
    (where / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    for name, extra in (("server", ["-extfile", "san.ext"]), ("client", [])):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={name}", cwd=where)  # fmt: skip
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.pem", "-days", "2", *extra, cwd=where)  # fmt: skip
    return where


@pytest.fixture(scope="module")
def tls_sandbox(pki: Path) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        create_sandbox_app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off",
        ssl_certfile=str(pki / "server.pem"), ssl_keyfile=str(pki / "server.key"),
        ssl_ca_certs=str(pki / "ca.pem"), ssl_cert_reqs=ssl.CERT_REQUIRED,
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield f"https://127.0.0.1:{port}/restapi"
    server.should_exit = True
    thread.join(timeout=10)


def client(url: str, pki: Path, *, with_certificate: bool) -> RegistryClient:
    config = ClientConfig(
        url=url, client_id="SEVDEIR-TEST/GOV/1/HOTLINE", service_id="SEVDEIR-TEST/GOV/2/RTG/Extract",
        attempts=1, connect_timeout=2, read_timeout=2, ca_file=pki / "ca.pem",
        cert_file=pki / "client.pem" if with_certificate else None,
        key_file=pki / "client.key" if with_certificate else None,
    )  # fmt: skip
    return RegistryClient(make_http_client(config), config)


async def test_with_our_certificate_the_security_server_answers(tls_sandbox: str, pki: Path) -> None:
    answer = await client(tls_sandbox, pki, with_certificate=True).fetch_extract(REQUEST, CONTEXT)
    assert answer.extract.person.full_name == "Бондаренко Олег Васильович"


async def test_without_it_there_is_no_answer(tls_sandbox: str, pki: Path) -> None:
    with pytest.raises(errors.RegistryUnavailable) as caught:
        await client(tls_sandbox, pki, with_certificate=False).fetch_extract(REQUEST, CONTEXT)
    assert isinstance(caught.value, errors.GatewayError | errors.RegistryConnectionError)


async def test_a_security_server_we_do_not_trust_is_a_gateway_error(tls_sandbox: str, pki: Path) -> None:
    config = ClientConfig(url=tls_sandbox, client_id="c", service_id="s", attempts=1, connect_timeout=2)
    with pytest.raises(errors.GatewayError):
        await RegistryClient(make_http_client(config), config).fetch_extract(REQUEST, CONTEXT)
