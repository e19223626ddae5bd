"""qa-api over a SolrCloud cluster: the client (``client``), the cluster's layout (``admin``), the record format
(``records``), reading (``queries``), writing (``indexing``), and the ``Backend`` they make (``backend``).

Errors: ``SearchBackendError`` when the cluster refuses or no node answers; ``IndexUnavailableError`` when the
collection is missing or was indexed otherwise (run ``qa-api index``); ``UnknownPassageError`` /
``UnknownSourceError`` for what is not there.
"""

from .admin import ClusterHealth, cluster_health
from .backend import SolrBackend
from .client import SolrClient
from .indexing import Built, build_collection

__all__ = ["Built", "ClusterHealth", "SolrBackend", "SolrClient", "build_collection", "cluster_health"]
