// Compare-and-set of one ring's document: replace it (and its searchable properties) only if the
// stored version (absent = 0) is still $expected_version. Returns the number of rings replaced
// (0: stale or missing). Membership (HAS_MEMBER) is left as it is: save_rings owns it.
// Setting _lock first takes the ring's write lock before its version is read, so two concurrent
// writers holding the same version cannot both pass the check (under read-committed isolation a
// plain MATCH ... WHERE would read the version without a lock and both could win).
// $ring_id: str, $expected_version: int,
// $props: {version, doc, kind, score, status, evidence_codes, evidence_weights, evidence_texts,
//          reviewed_at, reviewed_by}   (a null entry removes that property)
MATCH (g:Ring {ring_id: $ring_id})
SET g._lock = true
WITH g, coalesce(g.version, 0) = $expected_version AS current
REMOVE g._lock
WITH g, current
WHERE current
SET g += $props
RETURN count(g) AS updated
