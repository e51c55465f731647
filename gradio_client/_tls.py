"""The verifying TLS context of the clients, which reads its CA bundle on its first handshake.

Reading certifi's bundle (``load_verify_locations``) took 40 ms of a one-shot script's
300 ms on an idle machine and several hundred ms on a loaded one, and a client of an
``http://`` app never needs it. ``verifying_context()`` builds what
``httpx.create_ssl_context(verify=True)`` builds (the CA source is ``$SSL_CERT_FILE``, else
``$SSL_CERT_DIR``, else certifi) but loads the CAs when the context first wraps a socket or a
BIO: every TLS connection, sync (httpcore, our websockets) or async (asyncio, trio),
starts with one of the two, so no handshake can run before the CAs are in.
"""

from __future__ import annotations

import os
import ssl
import sys
import threading
from typing import Any


class DeferredCAContext(ssl.SSLContext):
    """A client context (hostname checked, certificate required) whose CA certificates are
    loaded on first use."""

    _ca_source: tuple[str | None, str | None] | None
    _ca_lock: threading.Lock

    def _load_ca(self) -> None:
        if self._ca_source is None:
            return
        with self._ca_lock:
            if self._ca_source is not None:
                cafile, capath = self._ca_source
                self.load_verify_locations(cafile, capath)
                self._ca_source = None

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        self._load_ca()
        return super().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        self._load_ca()
        return super().wrap_bio(*args, **kwargs)

    def get_ca_certs(self, binary_form: bool = False) -> Any:
        self._load_ca()
        return super().get_ca_certs(binary_form)

    def cert_store_stats(self) -> dict[str, int]:
        self._load_ca()
        return super().cert_store_stats()


def _ca_source() -> tuple[str | None, str | None]:
    """Where httpx's ``create_ssl_context(verify=True)`` takes the CAs from."""
    if os.environ.get("SSL_CERT_FILE"):
        return os.environ["SSL_CERT_FILE"], None
    if os.environ.get("SSL_CERT_DIR"):
        return None, os.environ["SSL_CERT_DIR"]
    import certifi

    return certifi.where(), None


def verifying_context() -> ssl.SSLContext:
    """``ssl.create_default_context(cafile=...)`` with the CAs read on first use."""
    context = DeferredCAContext(ssl.PROTOCOL_TLS_CLIENT)
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    if sys.version_info >= (3, 13):  # what create_default_context adds since 3.13
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN | ssl.VERIFY_X509_STRICT
    keylog = os.environ.get("SSLKEYLOGFILE")
    if keylog and not sys.flags.ignore_environment:
        context.keylog_filename = keylog
    context._ca_lock = threading.Lock()
    context._ca_source = _ca_source()
    return context
