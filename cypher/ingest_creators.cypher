// write_creators.cypher for creators whose key names no node yet (ringwatch.graph.neo4j_ingest
// checked, before the load wrote anything): CREATE instead of MERGE, and no stale agency to drop.
// Same $rows; run again as write_creators.cypher if the driver retries it.
UNWIND $rows AS row
CREATE (c:Creator)
SET c = row.props
SET c.registered_at = datetime({epochMillis: row.registered_at / 1000})
                      + duration({microseconds: row.registered_at % 1000})
WITH c, row
WHERE row.agency_id IS NOT NULL
MERGE (agency:Agency {id: row.agency_id})
CREATE (c)-[:MEMBER_OF]->(agency)
