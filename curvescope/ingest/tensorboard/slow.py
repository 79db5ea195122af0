"""The reference decoder: each record parsed by TensorBoard's own protobufs.

It follows TensorBoard's event accumulator: every ``Summary.Value`` with a ``simple_value``
is a scalar; a value holding a tensor is one when its tag's first metadata names the
``scalars`` plugin (or the scalar data class) and the tensor holds exactly one number.
The fast decoder hands it the records it does not recognise, and tests compare the two.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from google.protobuf.message import DecodeError
from tensorboard.compat.proto import event_pb2, summary_pb2, types_pb2
from tensorboard.plugins.hparams import plugin_data_pb2

from .records import Records
from .values import NOT_NUMBER, NUMBER, SIMPLE, Metadata, Values

SCALARS_PLUGIN = "scalars"
HPARAMS_PLUGIN = "hparams"
_NUMERIC = {
    types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE, types_pb2.DT_HALF, types_pb2.DT_BFLOAT16,
    types_pb2.DT_INT8, types_pb2.DT_INT16, types_pb2.DT_INT32, types_pb2.DT_INT64,
    types_pb2.DT_UINT8, types_pb2.DT_UINT16, types_pb2.DT_UINT32, types_pb2.DT_UINT64,
}  # fmt: skip


def decode(records: Records, indices: Iterable[int] | None = None) -> Values:
    """The values of ``records`` (or of the records at ``indices``), parsed one by one."""
    if indices is None:
        indices = range(len(records.starts))
    tags: dict[str, int] = {}
    columns: tuple[list, ...] = ([], [], [], [], [], [])
    tag_codes, steps, walls, numbers, kinds, record_of = columns
    metadata_tags, metadata_records, metadata_scalar = [], [], []
    first_in_file: set[tuple[int, str]] = set()
    hparams: list[tuple[int, dict[str, Any]]] = []
    unparsed: list[int] = []
    for index in indices:
        index = int(index)
        try:
            event = event_pb2.Event.FromString(records.record(index))
        except (DecodeError, ValueError):
            unparsed.append(index)
            continue
        if event.WhichOneof("what") != "summary":
            continue
        file = int(records.file[index])
        for value in event.summary.value:
            if value.HasField("metadata") and (file, value.tag) not in first_in_file:
                first_in_file.add((file, value.tag))
                metadata_tags.append(tags.setdefault(value.tag, len(tags)))
                metadata_records.append(index)
                metadata_scalar.append(is_scalar_metadata(value.metadata))
            if value.HasField("metadata") and value.metadata.plugin_data.plugin_name == HPARAMS_PLUGIN:
                session = session_hparams(value.metadata.plugin_data.content)
                if session:
                    hparams.append((index, session))
            kind = value.WhichOneof("value")
            if kind == "simple_value":
                number, code = value.simple_value, SIMPLE
            elif kind == "tensor":
                number = one_number(value.tensor)
                code = NOT_NUMBER if number is None else NUMBER
            else:
                continue
            tag = value.tag if value.tag or kind != "tensor" else value.node_name
            tag_codes.append(tags.setdefault(tag, len(tags)))
            steps.append(event.step)
            walls.append(event.wall_time)
            numbers.append(np.nan if number is None else number)
            kinds.append(code)
            record_of.append(index)
    return Values(
        tags=list(tags),
        tag=np.array(tag_codes, dtype=np.int32),
        step=np.array(steps, dtype=np.int64),
        wall_time=np.array(walls, dtype=np.float64),
        value=np.array(numbers, dtype=np.float64),
        kind=np.array(kinds, dtype=np.int8),
        record=np.array(record_of, dtype=np.int64),
        metadata=Metadata(
            np.array(metadata_tags, dtype=np.int32),
            np.array(metadata_records, dtype=np.int64),
            np.array(metadata_scalar, dtype=bool),
        ),
        hparams=hparams,
        unparsed=np.array(unparsed, dtype=np.int64),
    )


OTHER_METADATA, SCALAR_METADATA, HPARAMS_METADATA = 0, 1, 2


def metadata_kind(blob: bytes) -> int:
    """What serialised metadata marks: a scalar tag, an hparams summary, another plugin (-1: unparseable)."""
    try:
        metadata = summary_pb2.SummaryMetadata.FromString(blob)
    except (DecodeError, ValueError):
        return -1
    if metadata.plugin_data.plugin_name == HPARAMS_PLUGIN:
        return HPARAMS_METADATA
    return SCALAR_METADATA if is_scalar_metadata(metadata) else OTHER_METADATA


def is_scalar_metadata(metadata: summary_pb2.SummaryMetadata) -> bool:
    """Whether ``metadata`` marks its tag's tensors as scalars."""
    return metadata.plugin_data.plugin_name == SCALARS_PLUGIN or metadata.data_class == summary_pb2.DATA_CLASS_SCALAR


def one_number(tensor) -> float | None:
    """The tensor's value if it is numeric and holds exactly one element, else ``None``."""
    if tensor.dtype not in _NUMERIC:
        return None
    elements = 1
    for dim in tensor.tensor_shape.dim:
        elements *= dim.size
    if elements != 1:
        return None
    if tensor.dtype == types_pb2.DT_BFLOAT16:
        return _bfloat16(tensor)
    try:
        from tensorboard.util import tensor_util  # imported when first needed: it pulls in TensorBoard's TF stub

        array = tensor_util.make_ndarray(tensor)
    except Exception:  # noqa: BLE001 - whatever a malformed tensor makes TensorBoard's helper raise, it is not a number
        return None
    return float(array.reshape(-1)[0]) if array.size == 1 else None


def _bfloat16(tensor) -> float | None:
    """bfloat16 is the top half of a float32 (numpy has no bfloat16 of its own)."""
    if tensor.tensor_content:
        bits = np.frombuffer(tensor.tensor_content, dtype="<u2")
    else:
        bits = np.array(tensor.half_val, dtype=np.uint32).astype(np.uint16)
    if bits.size == 0:
        return 0.0  # as make_ndarray fills a tensor that lists no values
    if bits.size != 1:
        return None
    return float((bits.astype(np.uint32) << 16).view(np.float32)[0])


def session_hparams(content: bytes) -> dict[str, Any]:
    """The hyperparameters in an hparams plugin's session-start content (empty for other content)."""
    try:
        data = plugin_data_pb2.HParamsPluginData.FromString(content)
    except DecodeError:
        return {}
    if not data.HasField("session_start_info"):
        return {}
    return {name: python_value(value) for name, value in data.session_start_info.hparams.items()}


def python_value(value) -> Any:
    """A ``google.protobuf.Value`` as a plain Python value."""
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        return value.number_value
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "list_value":
        return [python_value(item) for item in value.list_value.values]
    if kind == "struct_value":
        return {name: python_value(item) for name, item in value.struct_value.fields.items()}
    return None
