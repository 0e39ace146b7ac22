// Compare-and-set of one case: replace its document (and its searchable properties) only if the
// stored version is still $expected_version. Returns the number of cases replaced (0: stale or
// missing). As update_ring.cypher does, setting _lock first takes the case's write lock before its
// version is read, so two writers holding the same version cannot both pass the check.
// $case_id: str, $expected_version: int, $version: int, $doc: str, $owner: str, $status: str
MATCH (c:Case {case_id: $case_id})
SET c._lock = true
WITH c, coalesce(c.version, 0) = $expected_version AS current
REMOVE c._lock
WITH c, current
WHERE current
SET c.doc = $doc, c.version = $version, c.owner = $owner, c.status = $status
RETURN count(c) AS updated
