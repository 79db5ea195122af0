"""Scale an audit out: tasks of a few runs, the backends that run them (this process, worker
processes, Dask), the cache of what was read and judged, and logs in object storage."""
