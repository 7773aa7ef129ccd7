"""The local cache: raw files kept immutable, the current table, metadata; atomic writes, a lock."""

from mdvax.cache.store import Cache, CacheMeta

__all__ = ["Cache", "CacheMeta"]
