"""Where the data comes from: one small class per source, all returning a RawSnapshot.

- :mod:`mdvax.sources.base`: ``RawSnapshot`` and the checks every body goes through;
- :mod:`mdvax.sources.http`: retries, timeouts, size cap, conditional requests;
- :mod:`mdvax.sources.maryland`: ``MarylandCsvSource`` and ``MarylandApiSource``;
- :mod:`mdvax.sources.local`: ``FileSource`` (a path or URL) and visitors' uploads.

Nothing is imported here, so the normalizer's use of ``base`` does not load ``requests``
into the dashboard kernel.
"""

#: Names accepted by ``mdvax update --source``, in the order ``auto`` tries them.
SOURCE_NAMES = ("maryland-csv", "maryland-api")
