"""The review desk and the mailed report: HTML pages over the same library calls the CLI makes.

``pages`` renders results (Jinja2, autoescaping on) and is all the report needs; ``app`` is the local
review desk (Flask, the ``web`` extra), whose routes open the profiles and the ledger and call ``Matcher``
and ``Ledger`` as ``match``, ``explain``, ``record`` and ``funnel`` do.
"""
