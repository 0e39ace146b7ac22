// Upsert a batch of creators and their agency (MEMBER_OF is single-valued: a changed or removed
// agency replaces the old relationship). Times arrive as epoch microseconds.
// $rows: [{props: {id, region, ...extra columns}, registered_at: int, agency_id: str|null}]
// A stale relationship's far end is left unlabelled on purpose: then the planner can only
// expand from the node just merged, never scan every node of that label once per row.
UNWIND $rows AS row
MERGE (c:Creator {id: row.props.id})
SET c = row.props
SET c.registered_at = datetime({epochMillis: row.registered_at / 1000})
                      + duration({microseconds: row.registered_at % 1000})
WITH c, row
CALL (c, row) {
  MATCH (c)-[stale:MEMBER_OF]->(agency)
  WHERE row.agency_id IS NULL OR agency.id <> row.agency_id
  DELETE stale
}
WITH c, row
WHERE row.agency_id IS NOT NULL
MERGE (agency:Agency {id: row.agency_id})
MERGE (c)-[:MEMBER_OF]->(agency)
