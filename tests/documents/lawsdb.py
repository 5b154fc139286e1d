"""The statute source the document benchmarks quote from, under the name they import: the
service's own (:class:`features.agreements.statutes.LawsDbStatutes`, laws.db read-only), so
that what they render is checked against exactly what the service checks against."""

from features.agreements.statutes import LawsDbStatutes as LawsDbStatuteSource

__all__ = ["LawsDbStatuteSource"]
