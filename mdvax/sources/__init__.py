"""Where the data comes from: one small class per source, all returning a RawSnapshot.

- :mod:`mdvax.sources.base`: ``RawSnapshot`` and the checks every body goes through;
- :mod:`mdvax.sources.http`: retries, timeouts, size cap, conditional requests;
- :mod:`mdvax.sources.maryland`: ``MarylandCsvSource``, ``MarylandApiSource`` and
  ``MarylandGithubSource`` (the county file in the state's git repository);
- :mod:`mdvax.sources.git`: the state's git history, read with the ``git`` binary;
- :mod:`mdvax.sources.local`: ``FileSource`` (a path or URL) and visitors' uploads.

Nothing is imported here, so the normalizer's use of ``base`` does not load ``requests``
into the dashboard kernel.
"""

#: Names accepted by ``mdvax update --source``, in the order ``auto`` tries them.
SOURCE_NAMES = ("maryland-csv", "maryland-api", "maryland-github")
