"""Writes {name: numpy array} as a safetensors file, as convgen reads it."""
import json
import struct

DTYPES = {"float32": "F32", "float16": "F16", "int64": "I64"}


def write_safetensors(path, tensors):
    header, offset = {}, 0
    for name, a in tensors.items():
        header[name] = {"dtype": DTYPES[a.dtype.name], "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)  # 8-byte LE length, JSON
        for a in tensors.values():
            f.write(a.astype(a.dtype.newbyteorder("<")).tobytes())  # C order
