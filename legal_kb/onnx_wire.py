"""The few ONNX messages the dense scan's graph needs, written as protobuf bytes by hand.

Why: the int8 scans (passages and written lay questions, :mod:`legal_kb.dense_scan`) are
one-node graphs built in the search process at start. Building them with the ``onnx`` package
imports it, and its modules stay in the process: ≈ 13 MB of the search's RSS (measured: 21 MB
for ``import onnx`` including numpy's 8.5), against a 400 MB budget. ONNX Runtime needs only the
serialized bytes, and protobuf's wire format for these messages is short to write. The encoder's
graph (:mod:`legal_kb.e5onnx`) keeps using ``onnx``: it is built once in a child process and
cached. ``tests/legal_kb/test_onnx_wire.py`` checks the bytes equal ``onnx``'s for the same graph.

Field numbers are those of onnx.proto (proto2: repeated scalars unpacked; fields written in
field-number order, as protobuf's serializer does).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

#: TensorProto.DataType values.
FLOAT = 1
INT8 = 3
_NUMPY_TYPES = {np.dtype(np.float32): FLOAT, np.dtype(np.int8): INT8}
#: The IR version written (ONNX Runtime ≥ 1.15 reads it; the encoder's graph uses the same).
IR_VERSION = 9


#: A message as pieces (a tensor's data stays a view of its array, not a copy: the passages'
#: int8 matrix is 24 MB) to be written out in order.
Chunks = list[bytes | memoryview]


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64 as protobuf writes it: ten bytes
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _message(field: int, chunks: Chunks) -> Chunks:
    """A length-delimited field around ``chunks``."""
    size = sum(len(c) if isinstance(c, bytes) else c.nbytes for c in chunks)
    return [_varint(field << 3 | 2) + _varint(size), *chunks]


def _str(field: int, value: str) -> bytes:
    return b"".join(_message(field, [value.encode("utf-8")]))


def _all(parts: Sequence[Chunks]) -> Chunks:
    return [c for part in parts for c in part]


def tensor(name: str, array: npt.NDArray[np.generic]) -> Chunks:
    """A TensorProto holding ``array`` as raw little-endian data (float32 or int8)."""
    data_type = _NUMPY_TYPES[array.dtype]
    dims = b"".join(_int(1, int(d)) for d in array.shape)
    raw = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False)
    view = memoryview(raw.data).cast("B")
    return [dims + _int(2, data_type) + _str(8, name), *_message(9, [view])]


def value_info(name: str, elem_type: int, shape: Sequence[int]) -> Chunks:
    """A ValueInfoProto: a tensor of ``elem_type`` with fixed dimensions."""
    dims = _all([_message(1, [_int(1, d)]) for d in shape])
    tensor_type = [_int(1, elem_type), *_message(2, dims)]
    return [_str(1, name), *_message(2, _message(1, tensor_type))]


def node(op_type: str, inputs: Sequence[str], outputs: Sequence[str], domain: str = "") -> Chunks:
    """A NodeProto without attributes (the scan's one operator takes none)."""
    out = b"".join(_str(1, x) for x in inputs) + b"".join(_str(2, x) for x in outputs)
    return [out + _str(4, op_type) + (_str(7, domain) if domain else b"")]


def model(
    nodes: Sequence[Chunks],
    name: str,
    inputs: Sequence[Chunks],
    outputs: Sequence[Chunks],
    initializers: Sequence[Chunks],
    opsets: Sequence[tuple[str, int]],
) -> Chunks:
    """A ModelProto around one graph, as pieces to write in order (``b"".join`` for bytes)."""
    graph = _all(
        [
            *(_message(1, n) for n in nodes),
            [_str(2, name)],
            *(_message(5, t) for t in initializers),
            *(_message(11, v) for v in inputs),
            *(_message(12, v) for v in outputs),
        ]
    )
    opset_ids = [b"".join(_message(8, [_str(1, d) + _int(2, v)])) for d, v in opsets]
    return [_int(1, IR_VERSION), *_message(7, graph), *opset_ids]
