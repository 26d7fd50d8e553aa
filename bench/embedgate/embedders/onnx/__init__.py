"""embedders.onnx: artifact (export format, cache) ← runtime (OnnxEncoder) ← export (build,
quantise, verify) ← embedder (`kind: onnx`); imports go one way."""
