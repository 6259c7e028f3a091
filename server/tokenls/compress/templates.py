"""Near-duplicate lines grouped by template, with the ``drain3`` template miner.

drain3 masks timestamps, ids, hashes, paths and numbers and clusters what is left. Lines
that differ only in their digits skip the miner: their shape is looked up in a bounded
dictionary first, which is what makes a long repetitive log cheap to group.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from drain3 import TemplateMiner
from drain3.masking import MaskingInstruction
from drain3.template_miner_config import TemplateMinerConfig

_DIGITS = str.maketrans("0123456789", "0000000000")
_MASKS = [
    (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?", "TIME"),
    (r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b", "UUID"),
    (r"\b(?:0x)?[0-9a-fA-F]*\d[0-9a-fA-F]*[a-fA-F][0-9a-fA-F]*\b|\b[0-9a-f]{12,}\b", "HEX"),
    (r"(?:[A-Za-z]:)?(?:[\\/][\w.\-@]+){2,}[\\/]?", "PATH"),
    (r"(?<![\w.])[-+]?\d+(?:\.\d+)*(?:ms|s|MB|KB|kB|GB|%)?\b", "NUM"),
]


class TemplateIndex:
    """Maps lines to template clusters; memory is bounded by ``max_clusters``."""

    def __init__(self, max_clusters: int = 4000, max_shapes: int = 100_000) -> None:
        config = TemplateMinerConfig()
        config.profiling_enabled = False
        config.drain_max_clusters = max_clusters
        config.masking_instructions = [MaskingInstruction(p, name) for p, name in _MASKS]
        logging.getLogger("drain3").setLevel(logging.WARNING)
        self._miner = TemplateMiner(config=config)
        self._shapes: OrderedDict[str, int] = OrderedDict()
        self._max_shapes = max_shapes

    def cluster_of(self, line: str) -> int:
        shape = line.translate(_DIGITS)
        cluster = self._shapes.get(shape)
        if cluster is None:
            cluster = int(self._miner.add_log_message(line)["cluster_id"])
            self._shapes[shape] = cluster
            if len(self._shapes) > self._max_shapes:
                self._shapes.popitem(last=False)
        return cluster

    def template(self, cluster: int, fallback: str) -> str:
        found = self._miner.drain.id_to_cluster.get(cluster)
        return found.get_template() if found is not None else fallback
