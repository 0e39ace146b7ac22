// Every case (JSON), oldest first.
MATCH (c:Case)
RETURN c.doc AS doc
ORDER BY c.created_at, c.case_id
