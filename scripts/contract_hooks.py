"""Schemathesis hooks for scripts/contract-test.sh.

A blob is addressed by the SHA-256 of its bytes (PUT /v1/blobs/{sha256}),
a rule the schema states in words but JSON Schema cannot: a generated body
and a generated address never agree. Before each such request the address
is set to the hash of the body as it will be sent, so that "a schema-valid
request is accepted" is checked on the upload itself, not on the address
check (which the HQ tests cover with real mismatches).

A resumable upload's chunk (PATCH or POST /v1/uploads/{sha256}) must also end within
its blob (Upload-Offset + body <= Upload-Length), which no schema states:
a positive case is sent as a whole blob in one chunk, at offset 0.
"""

import hashlib

import schemathesis
from schemathesis.core import NotSet


def _bytes_of(body):
    if body is None or isinstance(body, NotSet):
        return b""
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    return None


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if case.operation.method.upper() in ("PATCH", "POST") and case.operation.path == "/v1/uploads/{sha256}":
        _whole_blob_chunk(case)
        return
    if case.operation.method.upper() != "PUT" or case.operation.path != "/v1/blobs/{sha256}":
        return
    if not case.meta or not case.meta.generation.mode.is_positive:
        return
    data = _bytes_of(case.body)
    if data is not None and case.path_parameters is not None:
        case.path_parameters["sha256"] = hashlib.sha256(data).hexdigest()


def _whole_blob_chunk(case):
    if not case.meta or not case.meta.generation.mode.is_positive:
        return
    # The body as bytes: whatever was generated for it (a list of byte
    # values included), never empty.
    data = _bytes_of(case.body)
    if data is None:
        data = repr(case.body).encode("utf-8")
    if not data:
        data = b"\x00"
    case.body = data
    case.headers = dict(case.headers or {})
    case.headers["Upload-Offset"] = "0"
    case.headers["Upload-Length"] = str(len(data))
    if case.path_parameters is not None:
        case.path_parameters["sha256"] = hashlib.sha256(data).hexdigest()
