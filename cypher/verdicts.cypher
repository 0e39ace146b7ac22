// Every reviewer's verdict (JSON), oldest first.
MATCH (verdict:Verdict)
RETURN verdict.doc AS doc
ORDER BY verdict.seq
