// One investigator's case (JSON), by case_id; no row when there is no such case.
// $case_id: str
MATCH (c:Case {case_id: $case_id})
RETURN c.doc AS doc
