// Create a case unless its case_id is taken. MERGE on the unique case_id (schema.cypher) makes two
// concurrent creations of one id end with one node; only the one that created it sets its
// properties, so the other sees created = false and nothing of a stored case ever changes here.
// Cases have no relationships: they name rings and accounts by id, and `load --replace` keeps them.
// $case_id: str, $doc: str (the case as JSON), $version: int, $owner: str, $status: str,
// $created_at: str
MERGE (c:Case {case_id: $case_id})
ON CREATE SET c._created = true, c.doc = $doc, c.version = $version, c.owner = $owner,
              c.status = $status, c.created_at = $created_at
WITH c, coalesce(c._created, false) AS created
REMOVE c._created
RETURN created
