"""legal_kb.onnx_wire writes the scan's graph byte for byte as the ``onnx`` package would, and
the search process no longer imports ``onnx`` to build its scans."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from legal_kb import onnx_wire as wire


def _by_onnx(b: np.ndarray, scale: np.ndarray, zero: np.ndarray) -> bytes:
    rows = scale.shape[0]
    graph = helper.make_graph(
        [
            helper.make_node(
                "DynamicQuantizeMatMul", ["q", "b", "scale", "zero"], ["y"], domain="com.microsoft"
            )
        ],
        "dense_scan",
        [helper.make_tensor_value_info("q", TensorProto.FLOAT, [1, b.shape[0]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, rows])],
        [
            numpy_helper.from_array(b, "b"),
            numpy_helper.from_array(scale, "scale"),
            numpy_helper.from_array(zero, "zero"),
        ],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    )
    model.ir_version = wire.IR_VERSION
    data: bytes = model.SerializeToString()
    return data


def test_the_scan_graph_is_the_bytes_onnx_writes() -> None:
    rng = np.random.default_rng(7)
    for rows, dim in ((3, 4), (300, 384), (130, 2)):  # varints of one and two bytes
        b = rng.integers(-63, 64, (dim, rows), dtype=np.int8)
        scale = rng.random(rows, dtype=np.float32)
        zero = np.zeros(rows, dtype=np.int8)
        ours = wire.model(
            [
                wire.node(
                    "DynamicQuantizeMatMul", ["q", "b", "scale", "zero"], ["y"], "com.microsoft"
                )
            ],
            "dense_scan",
            [wire.value_info("q", wire.FLOAT, [1, dim])],
            [wire.value_info("y", wire.FLOAT, [1, rows])],
            [wire.tensor("b", b), wire.tensor("scale", scale), wire.tensor("zero", zero)],
            [("", 17), ("com.microsoft", 1)],
        )
        data = b"".join(ours)
        assert data == _by_onnx(b, scale, zero)
        onnx.checker.check_model(onnx.load_from_string(data))


def test_building_a_scan_does_not_import_onnx() -> None:
    code = (
        "import sys, numpy as np\n"
        "from legal_kb.dense_scan import DenseMatrix\n"
        "m = np.eye(4, dtype=np.float16)\n"
        "d = DenseMatrix(m)\n"
        "s = d.scan(np.array([1, 0, 0, 0], dtype=np.float32))\n"
        "assert s.argmax() == 0 and abs(float(s[0]) - 1) < 0.01, s\n"
        "print('onnx' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
