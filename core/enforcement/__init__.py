"""The nightly enforcement job: a policy turns reviewed rings into actions, exactly once.

Not a detector: it acts on what reviewers decided. :mod:`.policy` reads the
policy file, :mod:`.journal` keeps the write-ahead journal and the output
directory's lock, :mod:`.job` plans, exports, marks and audits a batch
(docs/enforcement.md). The command line (``ringwatch enforce``) only parses
options and prints.
"""
