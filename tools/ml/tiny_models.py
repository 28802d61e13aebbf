"""Tiny ONNX models for the RunInference tests, and onnxruntime's answers on given inputs.

    python tiny_models.py write <dir>        writes linear.onnx, classifier.onnx and mlp.onnx
    python tiny_models.py run <model> < in   prints onnxruntime's outputs for the JSON
                                             {"input": name, "rows": [[...], ...]} on stdin

The weights are fixed numbers, so the tests need nothing from a model hub.
"""
import json
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def linear():
    # y = x @ W + b, x: [N, 4] float32, y: [N, 2]
    w = np.array([[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5], [1.0, 1.0]], dtype=np.float32)
    b = np.array([0.1, -0.2], dtype=np.float32)
    nodes = [helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"])]
    graph = helper.make_graph(
        nodes, "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "b")])
    return graph


def classifier():
    # probs = softmax(x @ W + b), label = argmax(probs); x: [N, 3], three classes
    w = np.array([[1.0, -2.0, 0.5], [0.3, 0.8, -1.1], [-0.6, 0.2, 1.7]], dtype=np.float32)
    b = np.array([0.0, 0.5, -0.5], dtype=np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["xw"]),
        helper.make_node("Add", ["xw", "b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
        helper.make_node("ArgMax", ["logits"], ["label"], axis=1, keepdims=0),
    ]
    graph = helper.make_graph(
        nodes, "classifier",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 3]),
         helper.make_tensor_value_info("label", TensorProto.INT64, ["N"])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "b")])
    return graph


def mlp():
    # A small dense network for the benchmark: x [N, 64] -> relu(x W1 + b1) [N, 256] -> W2 + b2 [N, 10].
    rng = np.random.default_rng(42)
    w1 = rng.standard_normal((64, 256)).astype(np.float32) * 0.1
    b1 = np.zeros(256, dtype=np.float32)
    w2 = rng.standard_normal((256, 10)).astype(np.float32) * 0.1
    b2 = np.zeros(10, dtype=np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "W1"], ["h0"]),
        helper.make_node("Add", ["h0", "b1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["h"]),
        helper.make_node("MatMul", ["h", "W2"], ["y0"]),
        helper.make_node("Add", ["y0", "b2"], ["y"]),
    ]
    return helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])],
        [numpy_helper.from_array(a, n) for a, n in [(w1, "W1"), (b1, "b1"), (w2, "W2"), (b2, "b2")]])


def write(out_dir):
    for name, graph in [("linear", linear()), ("classifier", classifier()), ("mlp", mlp())]:
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, f"{out_dir}/{name}.onnx")


def run(model_path):
    import onnxruntime as ort
    request = json.load(sys.stdin)
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    x = np.array(request["rows"], dtype=np.float32)
    outputs = session.run(None, {request["input"]: x})
    names = [o.name for o in session.get_outputs()]
    print(json.dumps({n: v.tolist() for n, v in zip(names, outputs)}))


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2])
    else:
        run(sys.argv[2])
