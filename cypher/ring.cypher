// One ring's latest document (JSON), by ring_id; no row when there is no such ring.
// $ring_id: str
MATCH (g:Ring {ring_id: $ring_id})
RETURN g.doc AS doc
