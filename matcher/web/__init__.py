"""The review desk (``app``, Flask: the ``web`` extra): pages over the same library calls the CLI makes.

Its templates and stylesheet are ``output``'s (``output/templates``, ``output/static``), shared with the
report that is mailed; its routes open the profiles and the ledger (``Workspace``) and call ``match``,
``explain``, ``Workspace.record`` and ``Workspace.funnel`` as the commands do.
"""
