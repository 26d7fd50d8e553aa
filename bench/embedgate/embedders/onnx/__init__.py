"""embedders.onnx."""
