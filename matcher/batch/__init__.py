"""Every organisation's top partners at once: on this machine (``local``) or on a Dask cluster (``cluster``)."""
