"""Near-duplicate lines grouped by template, with the ``drain3`` template miner.

drain3 masks timestamps, ids, hashes, paths and numbers and clusters what is left. Lines
that differ only in their digits or hex ids skip the miner and the classifier: their shape
is looked up in a bounded dictionary first, which is what makes a long log cheap to scan.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict

from drain3 import TemplateMiner
from drain3.masking import MaskingInstruction
from drain3.template_miner_config import TemplateMinerConfig

from tokenls.compress.classify import Level, classify

_DIGITS = str.maketrans("0123456789", "0111111111")  # keeps zero apart: "Failures: 0"
_ASCII_DIGITS = bytes.maketrans(b"0123456789", b"0111111111")  # the same, 10x faster
_HEX = re.compile(r"\b(?=[0-9a-f]*[01])(?=[0-9a-f]*[a-f])[0-9a-f]{6,}\b")
_MASKS = [
    (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?", "TIME"),
    (r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b", "UUID"),
    (r"\b(?:0x)?[0-9a-fA-F]*\d[0-9a-fA-F]*[a-fA-F][0-9a-fA-F]*\b|\b[0-9a-f]{12,}\b", "HEX"),
    (r"(?:[A-Za-z]:)?(?:[\\/][\w.\-@]+){2,}[\\/]?", "PATH"),
    (r"(?<![\w.])[-+]?\d+(?:\.\d+)*(?:ms|s|MB|KB|kB|GB|%)?\b", "NUM"),
]


class TemplateIndex:
    """Maps lines to template clusters; memory is bounded by ``max_clusters``."""

    def __init__(self, max_clusters: int = 4000, max_shapes: int = 50_000) -> None:
        config = TemplateMinerConfig()
        config.profiling_enabled = False
        config.drain_max_clusters = max_clusters
        config.masking_instructions = [MaskingInstruction(p, name) for p, name in _MASKS]
        logging.getLogger("drain3").setLevel(logging.WARNING)
        self._miner = TemplateMiner(config=config)
        self._shapes: OrderedDict[str, tuple[Level, int]] = OrderedDict()
        self._max_shapes = max_shapes

    def describe(self, line: str) -> tuple[Level, int]:
        """The line's level and template cluster, looked up by shape when seen before."""
        if line.isascii():
            shape = line.encode("ascii").translate(_ASCII_DIGITS).decode("ascii")
        else:
            shape = line.translate(_DIGITS)
        known = self._shapes.get(shape)
        if known is not None:
            return known
        hexless = _HEX.sub("h", shape)  # request ids and hashes: same shape, same answer
        known = self._shapes.get(hexless)
        if known is None:
            level = classify(line) if line else Level.VERBOSE
            cluster = int(self._miner.add_log_message(line)["cluster_id"]) if line.strip() else -1
            known = (level, cluster)
            self._remember(hexless, known)
        self._remember(shape, known)
        return known

    def _remember(self, shape: str, known: tuple[Level, int]) -> None:
        self._shapes[shape] = known
        if len(self._shapes) > self._max_shapes:
            self._shapes.popitem(last=False)

    def template(self, cluster: int, fallback: str) -> str:
        found = self._miner.drain.id_to_cluster.get(cluster)
        return found.get_template() if found is not None else fallback
